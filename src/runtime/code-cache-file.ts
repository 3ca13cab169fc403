/**
 * The file in which an executable keeps the code caches its starts made (LocalCodeCache,
 * code-cache.ts): one file for all its modules, read in one call. It is looked into, not parsed: a
 * start that used to turn every record into a name and a buffer before its first module paid about
 * 0.5 ms for ESLint's 255 caches; now a lookup reads three words of a table.
 *
 * Layout (little-endian): the header line "oxpack-code-caches 3\n" and zero bytes up to offset 24; a
 * u32 record count N; N records of three u32 (packed entry number, offset of the cache from the start
 * of the file, its length), sorted by entry number; then the caches. Entries are numbered as in the
 * executable's own index: the file lives in a folder named after the blob's hash, so the numbers
 * cannot mean another module. A file that does not fit this layout is not used (and is replaced at
 * exit); a record that points outside the file is a miss.
 */
import { u32Words } from '../format/words.js';

const HEADER = Buffer.from('oxpack-code-caches 3\n', 'latin1');
const TABLE_AT = 24;
const RECORD_WORDS = 3;

export class CodeCacheFile {
  /** Where the caches start: every record must point at or after it. */
  private readonly dataStart: number;

  private constructor(
    private readonly bytes: Buffer,
    /** The count word and the records. */
    private readonly table: Uint32Array,
    private readonly count: number,
  ) {
    this.dataStart = TABLE_AT + 4 + count * 4 * RECORD_WORDS;
  }

  /** The file's caches, or undefined when `bytes` is not such a file. */
  static parse(bytes: Buffer): CodeCacheFile | undefined {
    if (bytes.length < TABLE_AT + 4 || !bytes.subarray(0, HEADER.length).equals(HEADER)) return undefined;
    const count = bytes.readUInt32LE(TABLE_AT);
    if (count > (bytes.length - TABLE_AT - 4) / (4 * RECORD_WORDS)) return undefined;
    const table = u32Words(bytes.subarray(TABLE_AT), 4 + count * 4 * RECORD_WORDS);
    return new CodeCacheFile(bytes, table, count);
  }

  /** The cache of packed entry `entry`, if the file holds one. */
  get(entry: number): Buffer | undefined {
    const t = this.table;
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const at = 1 + mid * RECORD_WORDS;
      if (t[at]! < entry) lo = mid + 1;
      else if (t[at]! > entry) hi = mid;
      else return this.slice(t[at + 1]!, t[at + 2]!);
    }
    return undefined;
  }

  /** Every record that points inside the file, in the file's order. */
  *all(): IterableIterator<[number, Buffer]> {
    for (let k = 0; k < this.count; k++) {
      const at = 1 + k * RECORD_WORDS;
      const data = this.slice(this.table[at + 1]!, this.table[at + 2]!);
      if (data) yield [this.table[at]!, data];
    }
  }

  private slice(offset: number, length: number): Buffer | undefined {
    if (offset < this.dataStart || length === 0 || length > this.bytes.length - offset) return undefined;
    return this.bytes.subarray(offset, offset + length);
  }
}

/** The file holding `caches` (entry number and V8's data; at most one per entry). */
export function encodeCodeCacheFile(caches: Iterable<readonly [number, Uint8Array]>): Buffer {
  const sorted = [...caches].sort((a, b) => a[0] - b[0]);
  const tableEnd = TABLE_AT + 4 + sorted.length * 4 * RECORD_WORDS;
  const out = Buffer.alloc(tableEnd + sorted.reduce((n, [, data]) => n + data.length, 0));
  HEADER.copy(out, 0);
  out.writeUInt32LE(sorted.length, TABLE_AT);
  let offset = tableEnd;
  sorted.forEach(([entry, data], k) => {
    const at = TABLE_AT + 4 + k * 4 * RECORD_WORDS;
    out.writeUInt32LE(entry, at);
    out.writeUInt32LE(offset, at + 4);
    out.writeUInt32LE(data.length, at + 8);
    out.set(data, offset);
    offset += data.length;
  });
  return out;
}
