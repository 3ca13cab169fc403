/**
 * worker_threads for packed scripts. A Worker started from a file loads it with Node's own loader,
 * in a fresh thread that has none of our hooks, so `new Worker(<packed path or file: URL>)` is turned
 * into an eval worker running the oxpack runtime: it indexes the same resources (the SEA asset or the
 * resources file), installs the finder, and then runs the script as that thread's main module, with
 * the worker's argv, workerData and options untouched.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type workerThreadsModule from 'node:worker_threads';
import { builtin, syncBuiltinESMExports } from '../builtins.js';
import type { ResourceSource, RuntimeFinder } from './finder.js';

/** What the runtime needs in a worker to find the resources and the script to run. */
export interface WorkerLaunch {
  source: Extract<ResourceSource, { kind: 'sea' } | { kind: 'file' }>;
  origin: string;
  root: string;
  /** Virtual path of the script the worker runs. */
  script: string;
}

/** Where the runtime reads its launch description in a worker (set by the eval code before it runs). */
export const WORKER_LAUNCH = Symbol.for('oxpack.worker');

type WorkerConstructor = new (filename: string | URL, options?: Record<string, unknown>) => object;

export function installWorkerHooks(finder: RuntimeFinder): () => void {
  // Loaded here, not at start-up: this runs only for apps that name worker_threads (install.ts).
  const workerThreads = builtin<typeof workerThreadsModule>('node:worker_threads');
  const exportsObject = workerThreads as unknown as { Worker: WorkerConstructor };
  const Original = exportsObject.Worker;

  /** The eval code for a worker of `filename`, or undefined when Node should start it as usual. */
  const launchCode = (filename: unknown, options: Record<string, unknown> | undefined): string | undefined => {
    if (options?.eval || !finder.workerRuntime) return undefined;
    const source = finder.source;
    if (!source || source.kind === 'bytes') return undefined; // resources held only in this thread's memory
    let file: string;
    if (filename instanceof URL) {
      if (filename.protocol !== 'file:') return undefined;
      file = fileURLToPath(filename);
    } else if (typeof filename === 'string') {
      if (filename.startsWith('file:')) file = fileURLToPath(filename);
      else if (path.isAbsolute(filename) || /^\.\.?[\\/]/.test(filename)) file = path.resolve(filename);
      else return undefined;
    } else return undefined;
    if (!finder.isScript(file)) return undefined; // a real file, or no packed script there: Node says so
    const launch: WorkerLaunch = { source, origin: finder.origin, root: finder.root.path, script: file };
    // One line before the runtime (when the code carries it), so that its stack lines keep their numbers.
    return `globalThis[Symbol.for('oxpack.worker')] = ${JSON.stringify(launch)};${finder.workerRuntime()}`;
  };

  class Worker extends Original {
    constructor(filename: string | URL, options?: Record<string, unknown>) {
      const code = launchCode(filename, options);
      if (code === undefined) super(filename, options);
      else super(code, { ...options, eval: true });
    }
  }

  exportsObject.Worker = Worker;
  syncBuiltinESMExports();
  return () => {
    exportsObject.Worker = Original;
    syncBuiltinESMExports();
  };
}
