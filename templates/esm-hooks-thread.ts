// The hooks a module.register() thread runs (Node before 22.15, and on later lines below the app's
// own module.register() hooks). Bundled by scripts/build.mjs into
// dist/templates/esm-hooks.cjs, which packed executables carry as a SEA asset with its code cache
// (started by the module runtime-script.ts esmHooksModuleCode makes, from a data: URL) and `oxpack
// run` and the library load through esm-hooks.mjs beside it. It rebuilds the finder from the same
// resources and answers with the shared hooks.
import { readFileSync, writeSync } from 'node:fs';
import { getRawAsset } from 'node:sea';
import { SERVE_OTHER_HOOKS, type HooksThreadData } from '../src/runtime/esm-install.js';
import { createEsmHooks, type LoadContext, type ResolveContext } from '../src/runtime/esm-hooks.js';
import { FinderCore } from '../src/runtime/finder.js';
import { FinderHost } from '../src/runtime/host.js';
import { ASSET_KEY, ESM_HOOKS_LOADER_STATE, type LoaderState } from '../src/runtime/runtime-script.js';
import { debugLog } from '../src/runtime/debug.js';
import { BuiltinTriggers } from '../src/runtime/builtin-triggers.js';
import { installCjsHooks } from '../src/runtime/cjs-hooks.js';
import { installFsOverlay } from '../src/runtime/fs-overlay.js';
import { VirtualFs } from '../src/runtime/vfs.js';

let hooks: ReturnType<typeof createEsmHooks> | undefined;
let triggers: BuiltinTriggers | undefined;

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
  const host = new FinderHost(finder);
  hooks = createEsmHooks(finder, host, {
    external: new Set(data.external),
    commonjsWithoutSource: data.commonjsWithoutSource,
  });
  // Other hooks in this thread (the app's: import-in-the-middle, Sentry's) read and require packed
  // files with this thread's fs and CommonJS loader, as they do files on disk under node:
  // import-in-the-middle reads a CommonJS module's source and resolves its re-exports to find its
  // exports. Installed only when the app registers hooks (esm-install.ts serveOtherHooks): every start
  // of an ES module app on Node 20 runs this thread. fs/promises is patched when first imported here
  // (resolve below). The local code cache is the main thread's to write.
  let serving = false;
  (globalThis as Record<symbol, unknown>)[Symbol.for(SERVE_OTHER_HOOKS)] = (): void => {
    if (serving) return;
    serving = true;
    triggers = new BuiltinTriggers();
    installFsOverlay(new VirtualFs(finder), triggers);
    installCjsHooks(finder, host, undefined, undefined, { localCodeCache: false });
  };
}

export async function resolve(
  specifier: string,
  context: ResolveContext,
  next: (s: string, c?: ResolveContext) => unknown,
): Promise<unknown> {
  triggers?.fire(specifier);
  return hooks!.resolve(specifier, context, next as never);
}

export async function load(url: string, context: LoadContext, next: (u: string, c?: LoadContext) => unknown): Promise<unknown> {
  return hooks!.load(url, context, next as never);
}
