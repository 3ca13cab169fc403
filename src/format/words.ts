/**
 * The format's little-endian 32-bit words, read as a Uint32Array: a view of the bytes when they are
 * 4-byte aligned on a little-endian host (every supported platform, and the SEA asset, in practice),
 * otherwise a converted copy. Indexed reads of a typed array are what keeps the checks the runtime
 * makes at every start cheap in cold code (checksum.ts, reader.ts validateEntries).
 */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** The first `byteLength >>> 2` words of `bytes`. */
export function u32Words(bytes: Uint8Array, byteLength: number): Uint32Array {
  const count = byteLength >>> 2;
  if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, count * 4);
  const words = new Uint32Array(count);
  for (let k = 0; k < count; k++) words[k] = view.getUint32(k * 4, true);
  return words;
}
