/**
 * Installs everything that makes packed paths behave as files: the fs overlay first (Node's own module
 * code that loads later then reads through it), the CommonJS hooks, and the ES module hooks. Returns
 * the function that undoes what can be undone.
 */
import { installAddonHooks } from './addon-hooks.js';
import { debugLog } from './debug.js';
import { installCjsHooks } from './cjs-hooks.js';
import { installEsmHooks } from './esm-install.js';
import type { OptionalHook } from '../format/layout.js';
import type { RuntimeFinder } from './finder.js';
import { installFsOverlay } from './fs-overlay.js';
import { FinderHost } from './host.js';
import { VirtualFs } from './vfs.js';
import { installWorkerHooks } from './worker-hooks.js';

export function installFinder(finder: RuntimeFinder): () => void {
  const timing = debugLog('timing');
  // Hooks the build found no use for are left out: loading fs/promises and worker_threads to patch
  // them costs about 2.5 ms of every start (PackedMeta.hooks).
  const listed = finder.meta.hooks;
  const wants = (hook: OptionalHook): boolean => !Array.isArray(listed) || listed.includes(hook);
  const host = new FinderHost(finder);
  const undoFs = installFsOverlay(new VirtualFs(finder), { promises: wants('fs-promises') });
  timing?.(`fs overlay installed at ${performance.now().toFixed(1)} ms`);
  const esm = installEsmHooks(finder, host);
  const undoCjs = installCjsHooks(finder, host, esm.ensure, esm.deferredImport);
  timing?.(`module hooks installed at ${performance.now().toFixed(1)} ms`);
  const undo = [undoFs, undoCjs, esm.uninstall, installAddonHooks(finder)];
  if (wants('workers')) undo.push(installWorkerHooks(finder));

  return () => {
    for (const u of undo.reverse()) u();
  };
}
