// The hooks module a module.register() thread loads (Node before 22.15). Bundled by scripts/build.mjs
// into dist/templates/esm-hooks.mjs, which packed executables carry as a SEA asset (loaded from a
// data: URL) and `oxpack run` and the library load from its file. It rebuilds the finder from the
// same resources and answers with the shared hooks.
import { readFileSync } from 'node:fs';
import { getRawAsset } from 'node:sea';
import type { HooksThreadData } from '../src/runtime/esm-install.js';
import { createEsmHooks, type LoadContext, type ResolveContext } from '../src/runtime/esm-hooks.js';
import { FinderCore } from '../src/runtime/finder.js';
import { FinderHost } from '../src/runtime/host.js';
import { ASSET_KEY } from '../src/runtime/runtime-script.js';

let hooks: ReturnType<typeof createEsmHooks> | undefined;

export function initialize(data: HooksThreadData): void {
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
