/**
 * How a packed executable compiles the runtime bundle (dist/templates/main.cjs, the SEA asset
 * "oxpack-runtime"): templates/sea-loader.ts does it at every start, templates/runtime-cache.ts once
 * at build time to make its code cache. Both must produce the same script text and name, or V8
 * refuses the cache.
 */

/** The SEA asset holding the runtime bundle's source (also what worker threads of packed scripts run). */
export const RUNTIME_ASSET_KEY = 'oxpack-runtime';
/** The SEA asset holding the V8 code cache of the runtime bundle, when the build could make one. */
export const RUNTIME_CACHE_KEY = 'oxpack-runtime-cache';
/** The runtime's file name in stack traces. Fixed: Node 20's V8 keeps the name a cache was made under. */
export const RUNTIME_SCRIPT_NAME = 'oxpack-runtime.cjs';
/** Lets the runtime reach the loader's import(): code compiled by vm.Script has none of its own. */
export const LOADER_IMPORT = Symbol.for('oxpack.import');

const HEAD = '(function (exports, require, module, __filename, __dirname) {';
const TAIL = '\n})';

/** The script text: the bundle as a CommonJS function, its first line unchanged (stack columns stay right). */
export function wrapRuntime(source: string): string {
  return `${HEAD}${source}${TAIL}`;
}

/**
 * Eval code that starts the runtime in a worker thread of a packed executable as the loader does in
 * the main thread: from the SEA assets, with the runtime's code cache (instead of carrying the
 * runtime's source in the code, compiled anew by every worker).
 */
export function workerLoaderCode(): string {
  const q = JSON.stringify;
  return `(function () {
const { getRawAsset } = require('node:sea');
const { Script } = require('node:vm');
let cachedData;
try { cachedData = Buffer.from(getRawAsset(${q(RUNTIME_CACHE_KEY)})); } catch {}
const source = Buffer.from(getRawAsset(${q(RUNTIME_ASSET_KEY)})).toString('utf8');
const script = new Script(${q(HEAD)} + source + ${q(TAIL)}, { filename: ${q(RUNTIME_SCRIPT_NAME)}, ...(cachedData ? { cachedData } : {}) });
if (/^(1|\\*)$|(^|,)\\s*cache\\s*(,|$)/.test(process.env.OXPACK_DEBUG || '')) {
  process.stderr.write('oxpack:cache runtime code cache: ' + (!cachedData ? 'none' : script.cachedDataRejected ? 'rejected' : 'used') + ' (worker)\\n');
}
globalThis[Symbol.for('oxpack.import')] = (specifier) => import(specifier);
script.runInThisContext()(typeof exports === 'undefined' ? {} : exports, require, typeof module === 'undefined' ? undefined : module,
  typeof __filename === 'undefined' ? '[worker eval]' : __filename, typeof __dirname === 'undefined' ? '.' : __dirname);
})();
`;
}
