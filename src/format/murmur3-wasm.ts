/**
 * murmur3() of checksum.ts compiled to WebAssembly (murmur3.wat), for the index checksum every start
 * computes. Run once per process, the JavaScript loop stays in V8's interpreter: about 2.4 ms for
 * ESLint's 110 kB index, where compiling this module and running it takes about 0.8 ms. Below
 * WASM_MIN_BYTES the loop is cheaper than the compile.
 */
// Assembled from murmur3.wat by scripts/assemble-wasm.mjs (a unit test checks that they agree).
const WASM_BASE64 =
  'AGFzbQEAAAABCAFgA39/fwF/AwIBAAUDAQABBxQCBm1lbW9yeQIAB211cm11cjMAAAqCAgH/AQEGfyACIQMgAEECdiEFAkADQCAEIAVPDQFBACAEQQJ0KAIAIAQgAUYbIQYgBkHR2vjkfGwhBiAGQQ93IQYgBkGT65zcAWwhBiADIAZzIQMgA0ENdyEDIANBBWxB5NbRsn5qIQMgBEEBaiEEDAALCyAAIQgCQANAIAggBUECdE0NASAIQQFrIQggB0EIdCAILQAAciEHDAALCyAAQQNxBEAgB0HR2vjkfGwhByAHQQ93IQcgAyAHQZPrnNwBbHMhAwsgAyAAcyEDIAMgA0EQdnMhAyADQeuUr694bCEDIAMgA0ENdnMhAyADQbXcypV8bCEDIAMgA0EQdnMhAyADCw==';

/** From this many bytes on, the WebAssembly version is faster at start. */
export const WASM_MIN_BYTES = 32 * 1024;

/** The little of the WebAssembly API used here (the global is absent under node --jitless). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
interface Murmur3Exports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  murmur3(end: number, zeroWord: number, seed: number): number;
}

const PAGE = 65536;
let compiled: object | null | undefined;

/**
 * MurmurHash3_x86_32 of bytes [0, end) of `buf`, the 32-bit word number `zeroWord` read as 0 (-1:
 * none); undefined where WebAssembly cannot run (node --jitless, for one): the caller then loops.
 */
export function murmur3Wasm(buf: Uint8Array, end: number, zeroWord: number, seed: number): number | undefined {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (compiled === undefined) {
    try {
      compiled = wasm ? new wasm.Module(Buffer.from(WASM_BASE64, 'base64')) : null;
    } catch {
      compiled = null;
    }
  }
  if (!compiled || !wasm) return undefined;
  // A fresh instance per call: its memory, a copy of the bytes, goes with it.
  const exports = new wasm.Instance(compiled, {}).exports as Murmur3Exports;
  const pages = Math.ceil(end / PAGE) - exports.memory.buffer.byteLength / PAGE;
  if (pages > 0) exports.memory.grow(pages);
  new Uint8Array(exports.memory.buffer, 0, end).set(buf.subarray(0, end));
  return exports.murmur3(end, zeroWord, seed) >>> 0;
}
