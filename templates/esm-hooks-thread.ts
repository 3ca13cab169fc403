// The hooks a module.register() thread runs (Node before 22.15). Bundled by scripts/build.mjs into
// dist/templates/esm-hooks.cjs, which packed executables carry as a SEA asset with its code cache
// (started by the module runtime-script.ts esmHooksModuleCode makes, from a data: URL) and `oxpack
// run` and the library load through esm-hooks.mjs beside it. It rebuilds the finder from the same
// resources and answers with the shared hooks.
import { readFileSync, writeSync } from 'node:fs';
import { getRawAsset } from 'node:sea';
import type { HooksThreadData } from '../src/runtime/esm-install.js';
import { createEsmHooks, type LoadContext, type ResolveContext } from '../src/runtime/esm-hooks.js';
import { FinderCore } from '../src/runtime/finder.js';
import { FinderHost } from '../src/runtime/host.js';
import { ASSET_KEY, ESM_HOOKS_LOADER_STATE, type LoaderState } from '../src/runtime/runtime-script.js';
import { debugLog } from '../src/runtime/debug.js';

let hooks: ReturnType<typeof createEsmHooks> | undefined;

export function initialize(data: HooksThreadData): void {
  if (debugLog('cache')) {
    // Written at once: this thread's stderr reaches the process's through messages, which an app that
    // exits soon may never read.
    const state = (globalThis as Record<symbol, LoaderState | undefined>)[ESM_HOOKS_LOADER_STATE];
    writeSync(2, `oxpack:cache ES module hooks thread code cache: ${state?.cache ?? 'none (loaded from its file)'}\n`);
  }
  const finder = new FinderCore({ relativePathOrigin: data.origin, virtualRoot: data.root });
  // The main thread has verified these bytes already.
  const bytes =
    data.source.kind === 'sea' ? getRawAsset(ASSET_KEY) : data.source.kind === 'file' ? readFileSync(data.source.file) : data.source.bytes;
  // The SEA asset and bytes handed over cannot have changed since; a resources file could have.
  finder.indexBytes(bytes as ArrayBuffer, { verify: data.source.kind === 'file' ? 'none' : 'trusted' });
  hooks = createEsmHooks(finder, new FinderHost(finder), {
    external: new Set(data.external),
    commonjsWithoutSource: data.commonjsWithoutSource,
  });
}

export async function resolve(
  specifier: string,
  context: ResolveContext,
  next: (s: string, c?: ResolveContext) => unknown,
): Promise<unknown> {
  return hooks!.resolve(specifier, context, next as never);
}

export async function load(url: string, context: LoadContext, next: (u: string, c?: LoadContext) => unknown): Promise<unknown> {
  return hooks!.load(url, context, next as never);
}
