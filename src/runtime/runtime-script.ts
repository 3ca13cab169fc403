/**
 * The SEA assets of a packed executable, and how it starts the runtime bundle (dist/templates/main.cjs)
 * from them: templates/sea-loader.ts in the main thread, the eval code of worker threads
 * (workerLoaderCode), and templates/runtime-cache.ts once at build time to make the code cache. All
 * must compile the same script text under the same name, or V8 refuses the cache. Without SEA assets
 * (oxpack run, the library), workers run the runtime's source (workerSourceCode).
 */
import type { Script } from 'node:vm';

/** The SEA asset holding the packed resources. */
export const ASSET_KEY = 'oxpack';
/** The SEA asset holding the runtime bundle's source. */
export const RUNTIME_ASSET_KEY = 'oxpack-runtime';
/** The SEA asset holding the V8 code cache of the runtime bundle, when the build could make one. */
export const RUNTIME_CACHE_KEY = 'oxpack-runtime-cache';
/**
 * The SEA asset holding the module.register() hooks (dist/templates/esm-hooks.cjs), which Node before
 * 22.15 runs in a thread of its own: read only then. Carried inside the runtime bundle, its 80 kB made
 * every start decode and deserialize a third more runtime (about 0.2 ms).
 */
export const ESM_HOOKS_ASSET_KEY = 'oxpack-esm-hooks';
/** The SEA asset holding the V8 code cache of the hooks, made by the build for targets before 22.15. */
export const ESM_HOOKS_CACHE_KEY = 'oxpack-esm-hooks-cache';
/**
 * The SEA asset holding a copy of the packed index (format/index-copy.ts): a start that finds the
 * blob's index equal to it needs no checksum.
 */
export const INDEX_COPY_ASSET_KEY = 'oxpack-index-copy';
/**
 * The runtime's file name in stack traces. Fixed: Node 20's V8 keeps the name a cache was made under.
 * "node:" as Node's own loader frames are named, because the runtime's frames stand where those stand
 * (a packed module's require() is the runtime's): Node 22+ decides whether a call comes from a
 * dependency by the first frame whose script name neither is empty nor starts with "node:", so a
 * runtime frame in between made a dependency's call look like the app's own (a dependency's
 * process.getBuiltinModule('punycode') printed the deprecation warning node shows only to the app).
 */
export const RUNTIME_SCRIPT_NAME = 'node:oxpack-runtime';
/** The same for the hooks of a module.register() thread. */
export const ESM_HOOKS_SCRIPT_NAME = 'node:oxpack-esm-hooks';

const HEAD = '(function (exports, require, module, __filename, __dirname) {';
const TAIL = '\n})';

/** The script text: the bundle as a CommonJS function, its first line unchanged (stack columns stay right). */
export function wrapRuntime(source: string): string {
  return `${HEAD}${source}${TAIL}`;
}

/** What startRuntime hands the runtime it starts, at globalThis[LOADER_STATE]. */
export interface LoaderState {
  /** The starting script's import(): code compiled by vm.Script has none of its own. */
  import: (specifier: string) => Promise<unknown>;
  /** What V8 made of the runtime's code cache. */
  cache: 'used' | 'rejected' | 'none';
  /** Milliseconds since the process started (debug.ts sinceStart): when the start began, once the runtime was compiled. */
  started: number;
  compiled: number;
}
export const LOADER_STATE = Symbol.for('oxpack.loader');

interface StartNames {
  source: string;
  cache: string;
  filename: string;
  head: string;
  tail: string;
  state: string;
}
const NAMES: StartNames = {
  source: RUNTIME_ASSET_KEY,
  cache: RUNTIME_CACHE_KEY,
  filename: RUNTIME_SCRIPT_NAME,
  head: HEAD,
  tail: TAIL,
  state: 'oxpack.loader',
};

/**
 * Compiles the runtime bundle from the SEA assets, with its code cache when there is one (none for
 * other platforms' executables), and runs it with `args` (exports, require, module, __filename,
 * __dirname). Uses nothing but its parameters and globals: its text is also a worker's eval code.
 */
function startRuntime(getRawAsset: (key: string) => ArrayBuffer, ScriptClass: typeof Script, names: StartNames, args: unknown[]): void {
  const started = process.uptime() * 1e3;
  let cachedData: Buffer | undefined;
  try {
    cachedData = Buffer.from(getRawAsset(names.cache));
  } catch {
    cachedData = undefined;
  }
  const source = Buffer.from(getRawAsset(names.source)).toString('utf8');
  const options = cachedData ? { filename: names.filename, cachedData } : { filename: names.filename };
  const script = new ScriptClass(names.head + source + names.tail, options);
  const state: LoaderState = {
    import: (specifier) => import(specifier),
    cache: !cachedData ? 'none' : script.cachedDataRejected ? 'rejected' : 'used',
    started,
    compiled: process.uptime() * 1e3,
  };
  (globalThis as Record<symbol, unknown>)[Symbol.for(names.state)] = state;
  (script.runInThisContext() as (...a: unknown[]) => void)(...args);
}

const ESM_HOOKS_NAMES: StartNames = {
  source: ESM_HOOKS_ASSET_KEY,
  cache: ESM_HOOKS_CACHE_KEY,
  filename: ESM_HOOKS_SCRIPT_NAME,
  head: HEAD,
  tail: TAIL,
  state: 'oxpack.esm-hooks-loader',
};
/** Where the hooks thread of an executable finds what its loader made of the hooks' code cache. */
export const ESM_HOOKS_LOADER_STATE = Symbol.for(ESM_HOOKS_NAMES.state);

/**
 * The ES module a module.register() thread of a packed executable loads, from a data: URL: it starts
 * the hooks bundle from the SEA assets as the loader starts the runtime (with the build's code cache
 * of all its functions) and exports its hooks. Three built-ins are imported through the thread's ES
 * module loader instead of the bundle's six.
 */
export function esmHooksModuleCode(): string {
  const args = `[module.exports, createRequire(process.execPath), module, ${JSON.stringify(ESM_HOOKS_SCRIPT_NAME)}, '.']`;
  return [
    "import { getRawAsset } from 'node:sea';",
    "import { Script } from 'node:vm';",
    "import { createRequire } from 'node:module';",
    'const module = { exports: {} };',
    `(${startRuntime.toString()})(getRawAsset, Script, ${JSON.stringify(ESM_HOOKS_NAMES)}, ${args});`,
    'export const { initialize, resolve, load } = module.exports;',
    '//# sourceURL=oxpack-esm-hooks.mjs',
    '',
  ].join('\n');
}

/** Starts the runtime in the SEA main script (templates/sea-loader.ts). */
export function startRuntimeFromAssets(getRawAsset: (key: string) => ArrayBuffer, ScriptClass: typeof Script, args: unknown[]): void {
  startRuntime(getRawAsset, ScriptClass, NAMES, args);
}

/**
 * Eval code that runs the runtime bundle's `source`, read from `file`, in a worker thread (oxpack run
 * and the library, which have no SEA assets): compiled anew by every worker. The bundle's __filename
 * is `file`, as in the main thread (it finds the hooks module and its own source beside it).
 */
export function workerSourceCode(source: string, file: string): string {
  return `(function (__filename) {${source}\n})(${JSON.stringify(file)});\n//# sourceURL=${RUNTIME_SCRIPT_NAME}\n`;
}

/**
 * Eval code that starts the runtime in a worker thread of a packed executable as the loader does in
 * the main thread (instead of carrying the runtime's source, compiled anew by every worker).
 */
export function workerLoaderCode(): string {
  const args =
    "[typeof exports === 'undefined' ? {} : exports, require, typeof module === 'undefined' ? undefined : module, " +
    "typeof __filename === 'undefined' ? '[worker eval]' : __filename, typeof __dirname === 'undefined' ? '.' : __dirname]";
  return `(${startRuntime.toString()})(require('node:sea').getRawAsset, require('node:vm').Script, ${JSON.stringify(NAMES)}, ${args});\n`;
}
