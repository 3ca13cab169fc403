/**
 * The index checksum is MurmurHash3_x86_32 (docs/format.md): the build writes it and every start
 * checks it, so it must be that function exactly, with the skipped word read as zero.
 */
import { describe, expect, test } from '@jest/globals';
import { indexChecksum, murmur3 } from '../../src/format/checksum.js';

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

  test('the index checksum reads the checksum field (word 9) as zero', () => {
    const bytes = Buffer.alloc(200, 7);
    const zeroed = Buffer.from(bytes);
    zeroed.writeUInt32LE(0, 36);
    bytes.writeUInt32LE(0xdeadbeef, 36);
    expect(indexChecksum(bytes, 200)).toBe(murmur3(zeroed, 200));
    expect(indexChecksum(bytes, 199)).toBe(murmur3(zeroed, 199));
  });
});
