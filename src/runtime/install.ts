/**
 * Installs everything that makes packed paths behave as files: the fs overlay first (Node's own module
 * code that loads later then reads through it), the CommonJS hooks, and the ES module hooks. Returns
 * the function that undoes what can be undone.
 */
import { installAddonHooks } from './addon-hooks.js';
import { BuiltinTriggers } from './builtin-triggers.js';
import { debugLog, sinceStart } from './debug.js';
import { installCjsHooks } from './cjs-hooks.js';
import { installEsmHooks, patchModuleRegister } from './esm-install.js';
import type { RuntimeFinder } from './finder.js';
import { installFsOverlay } from './fs-overlay.js';
import { FinderHost } from './host.js';
import { VirtualFs } from './vfs.js';
import { installSpawnHooks } from './spawn-hooks.js';
import { installWorkerHooks } from './worker-hooks.js';

export function installFinder(finder: RuntimeFinder): () => void {
  const timing = debugLog('timing');
  // fs/promises, worker_threads and child_process are patched when the app first gets them: loading
  // them to patch them costs about 1.5 ms each, at every start of an app that may never use them.
  const triggers = new BuiltinTriggers();
  const host = new FinderHost(finder);
  const undoFs = installFsOverlay(new VirtualFs(finder), triggers);
  timing?.(`fs overlay installed at ${sinceStart().toFixed(1)} ms`);
  const esm = installEsmHooks(finder, host, triggers);
  const undoCjs = installCjsHooks(finder, host, esm.ensure, esm.deferredImport);
  timing?.(`module hooks installed at ${sinceStart().toFixed(1)} ms`);
  const undo = [undoFs, undoCjs, esm.uninstall, installAddonHooks(finder), () => triggers.uninstall()];
  triggers.on(['worker_threads'], () => {
    undo.push(installWorkerHooks(finder));
    timing?.(`worker_threads patched at ${sinceStart().toFixed(1)} ms`);
  });
  triggers.on(['module'], () => {
    undo.push(patchModuleRegister(esm.beforeAppRegister));
  });
  triggers.on(['child_process'], () => {
    undo.push(installSpawnHooks(finder));
    timing?.(`child_process patched at ${sinceStart().toFixed(1)} ms`);
  });

  return () => {
    for (const u of undo.reverse()) u();
  };
}
