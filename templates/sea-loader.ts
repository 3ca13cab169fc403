// The main script of a packed executable. Node's SEA code cache holds only a script's top level, so
// every function the runtime calls at start would be compiled anew at every start; instead this
// compiles the runtime bundle (SEA asset "oxpack-runtime") with the code cache the build made of all
// its functions (asset "oxpack-runtime-cache", absent for other platforms' executables) and runs it.
// Worker threads start the runtime the same way (runtime-script.ts workerLoaderCode).
import { getRawAsset } from 'node:sea';
import { Script } from 'node:vm';
import { debugLog } from '../src/runtime/debug.js';
import { LOADER_IMPORT, RUNTIME_ASSET_KEY, RUNTIME_CACHE_KEY, RUNTIME_SCRIPT_NAME, wrapRuntime } from '../src/runtime/runtime-script.js';

const timing = debugLog('timing');
timing?.(`loader started at ${performance.now().toFixed(1)} ms`);
let cachedData: Buffer | undefined;
try {
  cachedData = Buffer.from(getRawAsset(RUNTIME_CACHE_KEY) as ArrayBuffer);
} catch {
  // built for another platform: no cache
}
const script = new Script(wrapRuntime(Buffer.from(getRawAsset(RUNTIME_ASSET_KEY) as ArrayBuffer).toString('utf8')), {
  filename: RUNTIME_SCRIPT_NAME,
  ...(cachedData ? { cachedData } : {}),
});
timing?.(`runtime compiled at ${performance.now().toFixed(1)} ms`);
debugLog('cache')?.(`runtime code cache: ${!cachedData ? 'none' : script.cachedDataRejected ? 'rejected' : 'used'}`);
// The runtime imports an ES entry point through this on Node lines without require(esm).
(globalThis as Record<symbol, unknown>)[LOADER_IMPORT] = (specifier: string) => import(specifier);
(script.runInThisContext() as (...args: unknown[]) => void)(exports, require, module, __filename, __dirname);
