/**
 * The index checksum: MurmurHash3 (x86, 32-bit, seed 0) of the index region, read as little-endian
 * 32-bit words, with the checksum field itself read as zero. It is what a start checks when the index
 * differs from the copy an executable carries (index-copy.ts), and what resources files, `oxpack
 * verify` and the library check. A SHA-256 would need Node's crypto module, whose loading and OpenSSL
 * set-up cost about 4 ms at each start of a packed app, more than the rest of the runtime's start-up;
 * this loop, run once per process and so interpreted, takes about 2 ms per 100 kB of index (a few
 * hundred bytes per packed file). A WebAssembly build of it checked ESLint's 110 kB index in 1.2 ms
 * instead of 2.1, but started no faster as a whole and cost 4.7 MB more peak memory
 * (docs/benchmarks.md). Like the SHA-256 next to it, it guards against damage (a truncated download, a
 * bad disk), not against an attacker, who can rewrite either (docs/security.md).
 * The SHA-256 hashes stay in the header for `oxpack verify`, --verify-data and the blob's identity.
 */
import { H_CHECKSUM } from './layout.js';
import { u32Words } from './words.js';

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const SKIPPED_WORD = H_CHECKSUM / 4;

/** The checksum of bytes [0, end) of `buf` (end ≤ buf.length), the word at H_CHECKSUM read as 0. */
export function indexChecksum(buf: Uint8Array, end: number): number {
  return murmur3(buf, end, SKIPPED_WORD);
}

/** MurmurHash3_x86_32 of bytes [0, end), the 32-bit word number `zeroWord` read as 0. */
export function murmur3(buf: Uint8Array, end: number, zeroWord = -1, seed = 0): number {
  const w = u32Words(buf, end);
  const words = w.length;
  let h = seed | 0;
  for (let i = 0; i < words; i++) {
    let k = i === zeroWord ? 0 : w[i]!;
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let tail = 0;
  for (let i = end - 1; i >= words * 4; i--) tail = (tail << 8) | buf[i]!;
  if (end % 4 !== 0) {
    tail = Math.imul(tail, C1);
    tail = (tail << 15) | (tail >>> 17);
    h ^= Math.imul(tail, C2);
  }
  h ^= end;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
