/**
 * The file of code caches an executable makes on the machine it runs on (src/runtime/code-cache-file.ts):
 * what is written is found again by entry number, and a damaged file or record is a miss, never an
 * error or someone else's bytes.
 */
import { describe, expect, test } from '@jest/globals';
import { CodeCacheFile, encodeCodeCacheFile } from '../../src/runtime/code-cache-file.js';

const caches: [number, Buffer][] = [
  [40, Buffer.from('forty')],
  [3, Buffer.from('three, a little longer')],
  [1190, Buffer.alloc(3000, 7)],
  [17, Buffer.from([0, 1, 2, 3, 4])],
];

describe('the local code cache file', () => {
  test('finds each cache by its entry number, and nothing for other entries', () => {
    const file = CodeCacheFile.parse(encodeCodeCacheFile(caches))!;
    for (const [entry, data] of caches) expect(file.get(entry)).toEqual(data);
    for (const entry of [0, 2, 4, 18, 39, 41, 1189, 1191, 0xffffffff]) expect(file.get(entry)).toBeUndefined();
    expect([...file.all()]).toEqual([...caches].sort((a, b) => a[0] - b[0]));
    const empty = CodeCacheFile.parse(encodeCodeCacheFile([]))!;
    expect(empty.get(0)).toBeUndefined();
    expect([...empty.all()]).toEqual([]);
  });

  test('reads the same at an address that is not a multiple of 4', () => {
    const bytes = encodeCodeCacheFile(caches);
    const odd = Buffer.alloc(bytes.length + 1).subarray(1);
    bytes.copy(odd);
    const file = CodeCacheFile.parse(odd)!;
    for (const [entry, data] of caches) expect(file.get(entry)).toEqual(data);
  });

  test('refuses a file of another version, or whose table does not fit', () => {
    const bytes = encodeCodeCacheFile(caches);
    const older = Buffer.from(bytes);
    older.write('2', 'oxpack-code-caches '.length, 'latin1'); // the version 2 files were keyed by name
    expect(CodeCacheFile.parse(older)).toBeUndefined();
    expect(CodeCacheFile.parse(bytes.subarray(0, 27))).toBeUndefined();
    expect(CodeCacheFile.parse(bytes.subarray(0, 24 + 4 + 3 * 12))).toBeUndefined(); // 3 of 4 records
    const tooMany = Buffer.from(bytes);
    tooMany.writeUInt32LE(0x1000_0000, 24);
    expect(CodeCacheFile.parse(tooMany)).toBeUndefined();
    expect(CodeCacheFile.parse(Buffer.alloc(0))).toBeUndefined();
  });

  test('treats a record pointing outside the caches as a miss', () => {
    const bytes = encodeCodeCacheFile(caches);
    // Records are sorted by entry: 3, 17, 40, 1190. Record k's offset is at 28 + 12k + 4, length at + 8.
    const record = (k: number): number => 28 + 12 * k;
    const damaged = Buffer.from(bytes);
    damaged.writeUInt32LE(bytes.length - 2, record(0) + 4); // runs past the end
    damaged.writeUInt32LE(8, record(1) + 4); // inside the header and table
    damaged.writeUInt32LE(0, record(2) + 8); // empty
    const file = CodeCacheFile.parse(damaged)!;
    expect([file.get(3), file.get(17), file.get(40)]).toEqual([undefined, undefined, undefined]);
    expect(file.get(1190)).toEqual(caches[2]![1]);
    expect([...file.all()].map(([entry]) => entry)).toEqual([1190]);
  });
});
