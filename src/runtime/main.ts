/**
 * What a packed executable does at start: read the blob that was injected as the SEA asset "oxpack"
 * (zero-copy), index it, install the finder, and run the entry point as the main module with the user's
 * arguments. Run by plain node instead (`oxpack run`), the first argument names a resources file.
 * The same code starts worker threads of packed scripts (worker-hooks.ts) and children that
 * child_process.fork() or spawn(process.execPath, [<packed script>]) start (dispatch below).
 * A damaged blob stops here with a clear message: never half a program.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { getRawAsset, isSea } from 'node:sea';
import { RuntimeFinder } from './finder.js';
import { debugLog, sinceStart } from './debug.js';
import { VirtualRoot } from './virtual-root.js';
import { WORKER_LAUNCH, type WorkerLaunch } from './worker-hooks.js';
import { matchesIndexCopy } from '../format/index-copy.js';
import {
  ASSET_KEY,
  esmHooksModuleCode,
  INDEX_COPY_ASSET_KEY,
  LOADER_STATE,
  type LoaderState,
  workerLoaderCode,
  workerSourceCode,
} from './runtime-script.js';

/** Exit status for a damaged executable or resources file (EX_SOFTWARE): distinct from what apps return. */
export const EXIT_DAMAGED = 70;

export interface RuntimeEntry {
  /**
   * Path of this runtime's bundle when it runs from a file (`oxpack run`); the module.register() hooks
   * module (esm-hooks.mjs) lies beside it.
   */
  runtimeFile: string;
}

export function runMain(entry: RuntimeEntry): void {
  const timing = debugLog('timing');
  const now = sinceStart();
  const launch = (globalThis as Record<symbol, WorkerLaunch | undefined>)[WORKER_LAUNCH];
  // What the SEA loader (or a worker's launch code) found when it compiled this runtime.
  const loader = (globalThis as Record<symbol, LoaderState | undefined>)[LOADER_STATE];
  if (loader) {
    timing?.(`loader started at ${loader.started.toFixed(1)} ms, runtime compiled at ${loader.compiled.toFixed(1)} ms`);
    debugLog('cache')?.(`runtime code cache: ${loader.cache}${launch ? ' (worker)' : ''}`);
  }
  timing?.(`runtime started at ${now.toFixed(1)} ms`);
  if (launch) {
    delete (globalThis as Record<symbol, unknown>)[WORKER_LAUNCH];
    runWorker(entry, launch);
    return;
  }
  const sea = isSea();
  const execPath = process.execPath;
  const finder = sea
    ? new RuntimeFinder({ relativePathOrigin: path.dirname(execPath), virtualRoot: VirtualRoot.forContainer(execPath).path })
    : new RuntimeFinder();
  equip(finder, entry, sea);
  const file = sea ? undefined : process.argv[2];
  let checked = '';
  try {
    if (sea) {
      finder.source = { kind: 'sea' };
      // Sealed by the build that wrote this runtime: an index equal to its copy, or else the checksum,
      // tells whether it arrived intact.
      const blob = getRawAsset(ASSET_KEY) as ArrayBuffer;
      const intact = indexEqualsItsCopy(blob);
      finder.indexBytes(blob, { verify: intact ? 'trusted' : 'checksum' });
      checked = intact ? ' (the index equals its copy)' : ' (the index checksum matches)';
    } else if (file) {
      finder.indexFile(file);
    } else {
      throw new Error('no resources file given: run it as `oxpack run <file.oxres> [args...]`');
    }
    if (finder.entryPath === undefined) throw new Error('it names no entry point');
    if (finder.meta.verifyData) finder.index.verifyHashes();
    timing?.(`indexed at ${sinceStart().toFixed(1)} ms${checked}`);
  } catch (err) {
    const what = sea
      ? `${path.basename(execPath)}: the application packed in this executable is damaged`
      : `oxpack: cannot run ${file ?? ''}`;
    process.stderr.write(`${what}: ${(err as Error).message}\n${sea ? 'Rebuild the executable with oxpack (or re-download it).\n' : ''}`);
    process.exit(EXIT_DAMAGED);
  }
  if (sea && finder.meta.guardNodeOptions) refuseNodeOptions(execPath);
  const args = process.argv.slice(sea ? 2 : 3);
  // fork(<packed script>) and spawn(process.execPath, [<packed script>, ...]) start this executable
  // with the script's virtual path first: run that script, as node would. Only an absolute path under
  // this executable's virtual root qualifies, which no real file can have (the executable is a file),
  // so no argument meant for the app is ever taken for a script.
  if (sea && args.length > 0 && path.isAbsolute(args[0]!) && finder.root.contains(args[0]!)) {
    const script = args[0]!;
    if (!finder.isScript(script)) {
      // As node says it; running the entry instead could start this very program again, and again.
      process.stderr.write(`${path.basename(execPath)}: cannot run ${script}: no such script is packed in this executable\n`);
      process.exit(1);
    }
    finder.run(args.slice(1), script);
    return;
  }
  // As under `node entry.js`: argv[1] is the entry's (virtual) path and the user's arguments follow.
  finder.run(args);
}

/** Whether the blob's index equals the copy beside it (format/index-copy.ts); false without a copy. */
function indexEqualsItsCopy(blob: ArrayBuffer): boolean {
  let copy: ArrayBuffer;
  try {
    copy = getRawAsset(INDEX_COPY_ASSET_KEY) as ArrayBuffer;
  } catch {
    return false;
  }
  return matchesIndexCopy(Buffer.from(blob), new Uint8Array(copy));
}

/** In a worker thread of a packed script: the same resources, a finder of its own, then the script. */
function runWorker(entry: RuntimeEntry, launch: WorkerLaunch): void {
  const finder = new RuntimeFinder({ relativePathOrigin: launch.origin, virtualRoot: launch.root });
  const sea = launch.source.kind === 'sea';
  equip(finder, entry, sea);
  if (launch.source.kind === 'sea') {
    finder.source = launch.source;
    // The main thread checked this asset, which is read-only memory of the executable.
    finder.indexBytes(getRawAsset(ASSET_KEY) as ArrayBuffer, { verify: 'trusted' });
  } else {
    finder.indexFile(launch.source.file);
  }
  // An eval worker's argv is [execPath, '[worker eval]', ...argv]; a file worker's has the file there.
  finder.run(process.argv.slice(2), launch.script);
}

function equip(finder: RuntimeFinder, entry: RuntimeEntry, sea: boolean): void {
  // Made when a module.register() hooks thread is started (Node before 22.15), not at every start. An
  // executable has no file to point the thread at: a module that starts the hooks from the SEA assets
  // (runtime-script.ts esmHooksModuleCode) goes in a data: URL.
  let url: string | undefined;
  Object.defineProperty(finder, 'esmHooksUrl', {
    configurable: true,
    get: () => (url ??= sea ? esmHooksDataUrl() : pathToFileURL(path.join(path.dirname(entry.runtimeFile), 'esm-hooks.mjs')).href),
  });
  finder.workerRuntime = sea ? workerLoaderCode : () => workerSourceCode(readFileSync(entry.runtimeFile, 'utf8'), entry.runtimeFile);
}

function esmHooksDataUrl(): string {
  return `data:text/javascript;base64,${Buffer.from(esmHooksModuleCode()).toString('base64')}`;
}

/** NODE_OPTIONS flags that would run other code inside the app, or let a debugger or profiler into it. */
const INJECTING =
  /^(-r|--require|--import|--loader|--experimental-loader|--inspect(-brk|-wait|-port)?|--debug-port|--heapsnapshot-signal|--heap-prof|--diagnostic-dir|--env-file)(=|$)/;

/**
 * On lines whose SEA cannot be told to ignore NODE_OPTIONS, Node has applied it before this runs:
 * refuse to start the app with flags that inject code or open it to a debugger. The author can allow
 * them at build time (--allow-node-options).
 */
function refuseNodeOptions(execPath: string): void {
  const flags = (process.env.NODE_OPTIONS ?? '').split(/\s+/).filter((f) => INJECTING.test(f));
  if (flags.length === 0) return;
  process.stderr.write(
    `${path.basename(execPath)}: refusing to start: NODE_OPTIONS holds ${flags.map((f) => f.split('=')[0]).join(', ')}, which would load other code into this program or open it to a debugger.\n` +
      'Unset NODE_OPTIONS to run it (its author can allow them by building with --allow-node-options).\n',
  );
  process.exit(1);
}
