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

/** The script text: the bundle as a CommonJS function, its first line unchanged (stack columns stay right). */
export function wrapRuntime(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
}
