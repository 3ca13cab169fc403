/**
 * The index checksum has two implementations that must agree bit for bit: the JavaScript loop (the
 * build writes its result, small indexes are checked with it) and the WebAssembly module large indexes
 * are checked with at start. Fuzzed over sizes, alignments, skipped words and seeds; and the module's
 * bytes must be what its source assembles to.
 */
import { describe, expect, test } from '@jest/globals';
import { indexChecksum, murmur3 } from '../../src/format/checksum.js';
import { murmur3Wasm, WASM_MIN_BYTES } from '../../src/format/murmur3-wasm.js';
import { prng } from '../support/prng.js';

describe('murmur3', () => {
  test('matches the published MurmurHash3_x86_32 values', () => {
    const h = (text: string, seed = 0) => murmur3(Buffer.from(text), Buffer.byteLength(text), -1, seed);
    expect(h('')).toBe(0);
    expect(h('', 1)).toBe(0x514e28b7);
    expect(h('a')).toBe(0x3c2569b2);
    expect(h('abcd')).toBe(0x43ed676a);
    expect(h('Hello, world!', 1234)).toBe(0xfaf6cdb3);
    expect(h('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723);
  });

  test('the WebAssembly version equals the JavaScript one', () => {
    const random = prng(11);
    const sizes = [0, 1, 2, 3, 4, 5, 7, 8, 63, 64, 65, 4095, 65535, 65536, 65537, 131_073, 200_003];
    for (let k = 0; k < 20; k++) sizes.push(Math.floor(random() * 200_000));
    for (const size of sizes) {
      const offset = Math.floor(random() * 4); // views that do not start on a word boundary
      const bytes = Buffer.alloc(size + offset + 3);
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
      const view = bytes.subarray(offset);
      const zero = size < 4 ? -1 : Math.floor(random() * (size / 4 + 2)) - 1;
      const seed = Math.floor(random() * 2 ** 32) | 0;
      expect(murmur3Wasm(view, size, zero, seed)).toBe(murmur3(view, size, zero, seed));
    }
  });

  test('indexChecksum gives the same answer either way, small or large', () => {
    const random = prng(3);
    for (const size of [100, WASM_MIN_BYTES - 1, WASM_MIN_BYTES, WASM_MIN_BYTES + 5, 150_001]) {
      const bytes = Buffer.alloc(size);
      for (let i = 0; i < size; i++) bytes[i] = Math.floor(random() * 256);
      expect(indexChecksum(bytes, size)).toBe(murmur3(bytes, size, 9));
    }
  });

  test('the module carries what src/format/murmur3.wat assembles to', async () => {
    const { assembleMurmur3 } = (await import('../../scripts/assemble-wasm.mjs')) as { assembleMurmur3(): Promise<string> };
    const { readFileSync } = await import('node:fs');
    const source = readFileSync(new URL('../../src/format/murmur3-wasm.ts', import.meta.url), 'utf8');
    expect(/const WASM_BASE64 =\s*'([^']*)'/.exec(source)?.[1]).toBe(await assembleMurmur3());
  });
});
