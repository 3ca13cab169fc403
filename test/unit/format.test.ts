import { describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { seal, serializeResources, type WriterEntry } from '../../src/format/writer.js';
import { indexChecksum, murmur3 } from '../../src/format/checksum.js';
import { indexCopyOf, matchesIndexCopy } from '../../src/format/index-copy.js';
import { PackedIndex } from '../../src/format/reader.js';
import {
  FormatError,
  HEADER_SIZE,
  H_INDEX_END,
  H_CHECKSUM,
  H_INDEX_HASH,
  H_SECTION_COUNT,
  H_TOTAL_LENGTH,
  H_VERSION,
  MAGIC,
  SCRIPT_HEAD,
  SCRIPT_TAIL,
  SECTION_RECORD_SIZE,
} from '../../src/format/layout.js';
import { prng } from '../support/prng.js';

const meta = { oxpack: 'test', entry: 'main.js' };
const text = (s: string): Uint8Array => Buffer.from(s, 'utf8');

function sample(): WriterEntry[] {
  return [
    { name: 'main.js', kind: 'commonjs', data: text('require("./lib/util")') },
    { name: 'lib/util.js', kind: 'commonjs', data: text('module.exports = 1') },
    { name: 'lib/lazy.js', kind: 'commonjs', data: text('exports.load = () => import("x")'), dynamicImport: true },
    { name: 'lib/esm.mjs', kind: 'module', data: text('export default 2') },
    { name: 'package.json', kind: 'package.json', data: text('{"name":"app"}') },
    { name: 'data/empty.txt', kind: 'asset', data: new Uint8Array(0) },
    { name: 'data/big.txt', kind: 'asset', data: text('x'.repeat(5000)), compression: 'brotli' },
    { name: 'data/gz.txt', kind: 'asset', data: text('y'.repeat(3000)), compression: 'gzip' },
    { name: 'bin/tool', kind: 'asset', data: text('#!/bin/sh\n'), executable: true },
    { name: 'node_modules/a/index.js', kind: 'commonjs', data: text('module.exports = 1'), codeCache: text('CACHE') },
    { name: 'node_modules/b', kind: 'symlink', data: text('a') },
    { name: 'addons/x.node', kind: 'addon', relativePath: 'lib/x.node', size: 1234, executable: true },
    { name: 'ünïcødé/日本.json', kind: 'json', data: text('{"k":1}') },
    { name: 'w.wasm', kind: 'wasm', data: Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0) },
    { name: 'emptydir', kind: 'directory' },
  ];
}

describe('packed format round trip', () => {
  const blob = serializeResources(sample(), meta);
  const index = PackedIndex.from(blob, { verify: 'full' });

  test('every entry comes back with its kind, flags and bytes', () => {
    for (const e of sample()) {
      const i = index.find(e.name);
      expect(i).toBeGreaterThan(0);
      expect(index.name(i)).toBe(e.name);
      expect(index.kindName(i)).toBe(e.kind);
      expect(index.isExecutable(i)).toBe(e.kind === 'directory' ? true : Boolean(e.executable));
      expect(index.callsImport(i)).toBe(Boolean(e.dynamicImport));
      if (e.relativePath) {
        expect(index.isFilesystemRelative(i)).toBe(true);
        expect(index.relativePath(i)).toBe(e.relativePath);
        expect(index.size(i)).toBe(e.size);
      } else if (e.kind === 'symlink') {
        expect(index.linkTarget(i)).toBe('a');
      } else if (e.kind !== 'directory') {
        expect(Buffer.from(index.contents(i)).equals(Buffer.from(e.data!))).toBe(true);
        expect(index.size(i)).toBe(e.data!.length);
      }
    }
  });

  test('compression is applied per entry and decoded on read', () => {
    const big = index.find('data/big.txt');
    expect(index.compression(big)).toBe('brotli');
    expect(index.storedSize(big)).toBeLessThan(5000);
    expect(index.compression(index.find('data/gz.txt'))).toBe('gzip');
    expect(index.compression(index.find('main.js'))).toBe('none');
  });

  test('parent directories are synthesized with sorted child lists', () => {
    expect(index.name(0)).toBe('');
    expect(index.childNames(0)).toEqual([
      'addons',
      'bin',
      'data',
      'emptydir',
      'lib',
      'main.js',
      'node_modules',
      'package.json',
      'w.wasm',
      'ünïcødé',
    ]);
    expect(index.childNames(index.find('data'))).toEqual(['big.txt', 'empty.txt', 'gz.txt']);
    expect(index.childNames(index.find('emptydir'))).toEqual([]);
    expect(index.isDirectory(index.find('node_modules/a'))).toBe(true);
  });

  test('code cache is stored beside the source', () => {
    expect(index.codeCache(index.find('node_modules/a/index.js'))?.toString()).toBe('CACHE');
    expect(index.codeCache(index.find('main.js'))).toBeUndefined();
  });

  test('lookups of missing names return -1', () => {
    for (const name of ['nope', 'lib/util', 'main.jsx', 'a', 'zzzz', '\u{10ffff}']) expect(index.find(name)).toBe(-1);
  });

  test('lookups among many names that share long prefixes find each one, also from an unaligned copy', () => {
    // The search skips the bytes both of its bounds share with the query: names that differ only
    // late, that are prefixes of one another or hold multi-byte characters are where that could go wrong.
    const names = new Set<string>();
    for (let p = 0; p < 40; p++) {
      for (const file of ['index.js', 'index.json', 'index.js.map', 'lib/a.js', 'lib/ab.js', 'lib/é.js', 'lib/日本.js', 'x']) {
        names.add(`node_modules/pkg-${p}/${file}`);
      }
    }
    const entries: WriterEntry[] = [...names].map((name) => ({ name, kind: 'asset', data: text(name) }));
    // The names and the folders the writer adds for them.
    const packed = new Set([...names].flatMap((name) => name.split('/').map((_, k, parts) => parts.slice(0, k + 1).join('/'))));
    const blob = serializeResources(entries, meta);
    const unaligned = Buffer.alloc(blob.length + 1);
    blob.copy(unaligned, 1);
    for (const idx of [PackedIndex.from(blob), PackedIndex.from(unaligned.subarray(1))]) {
      for (const name of names) {
        const i = idx.find(name);
        expect(idx.name(i)).toBe(name);
        expect(idx.find(name)).toBe(i); // asked again: the memo's answer
      }
      for (const name of names) {
        for (const near of [`${name}x`, name.slice(0, -1), `${name.slice(0, -1)}\u{10ffff}`, name.replace('pkg-', 'pkg-0'), `${name}/`]) {
          const i = idx.find(near);
          if (packed.has(near)) expect(idx.name(i)).toBe(near);
          else expect(i).toBe(-1);
        }
      }
      expect(idx.kindName(idx.find('node_modules/pkg-7/lib'))).toBe('directory');
    }
  });

  test('lookups stay right after the memo of answers starts over', () => {
    const idx = PackedIndex.from(blob);
    const i = idx.find('lib/esm.mjs');
    for (let k = 0; k < 10000; k++) idx.find(`missing/${k}`);
    expect(idx.find('lib/esm.mjs')).toBe(i);
    expect(idx.find('missing/1')).toBe(-1);
  });

  test('meta and hashes', () => {
    expect(index.meta).toEqual(meta);
    expect(index.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(index.dataHash).toBe(
      createHash('sha256')
        .update(blob.subarray(blob.readUInt32LE(H_INDEX_END)))
        .digest('hex'),
    );
  });

  test('the index checksum is MurmurHash3 (x86, 32-bit), checked against its published test vectors', () => {
    const vectors: [string, number][] = [
      ['', 0],
      ['test', 0xba6bd213],
      ['Hello, world!', 0xc0363e43],
      ['The quick brown fox jumps over the lazy dog', 0x2e4ff723],
    ];
    for (const [text, expected] of vectors) expect(murmur3(Buffer.from(text), text.length)).toBe(expected);
    const seeded = (text: string, seed: number) => murmur3(Buffer.from(text), Buffer.byteLength(text), -1, seed);
    expect(seeded('', 1)).toBe(0x514e28b7);
    expect(murmur3(Buffer.from('a'), 1)).toBe(0x3c2569b2);
    expect(murmur3(Buffer.from('abcd'), 4)).toBe(0x43ed676a);
    expect(seeded('Hello, world!', 1234)).toBe(0xfaf6cdb3);
    // Unaligned and aligned copies agree (the reader takes a fast path for aligned buffers).
    const unaligned = Buffer.alloc(blob.length + 1).fill(0);
    blob.copy(unaligned, 1);
    const end = blob.readUInt32LE(H_INDEX_END);
    expect(indexChecksum(unaligned.subarray(1), end)).toBe(indexChecksum(blob, end));
    expect(indexChecksum(blob, end)).toBe(blob.readUInt32LE(H_CHECKSUM));
  });

  test('the index checksum reads the checksum field (word 9) as zero', () => {
    const bytes = Buffer.alloc(200, 7);
    const zeroed = Buffer.from(bytes);
    zeroed.writeUInt32LE(0, 36);
    bytes.writeUInt32LE(0xdeadbeef, 36);
    expect(indexChecksum(bytes, 200)).toBe(murmur3(zeroed, 200));
    expect(indexChecksum(bytes, 199)).toBe(murmur3(zeroed, 199));
  });

  test('output is deterministic and independent of input order', () => {
    const again = serializeResources([...sample()].reverse(), meta);
    expect(again.equals(blob)).toBe(true);
  });

  test('CommonJS modules are stored inside the text they compile as: one view of the blob', () => {
    const cjs = serializeResources(
      [
        { name: 'a.js', kind: 'commonjs', data: text('module.exports = 1') },
        { name: 'same.js', kind: 'commonjs', data: text('module.exports = 1') },
        { name: 'cli.js', kind: 'commonjs', data: text('#!/usr/bin/env node\nrun()') },
        { name: 'big.js', kind: 'commonjs', data: text('x'.repeat(5000)), compression: 'brotli' },
        { name: 'empty.js', kind: 'commonjs', data: new Uint8Array(0) },
        { name: 'esm.mjs', kind: 'module', data: text('module.exports = 1') },
      ],
      meta,
    );
    const idx = PackedIndex.from(cjs, { verify: 'full' });
    const script = idx.scriptText(idx.find('a.js'))!;
    expect(script.toString()).toBe(`${SCRIPT_HEAD}module.exports = 1${SCRIPT_TAIL}`);
    expect(script.buffer).toBe(idx.buffer.buffer); // a view, not a copy
    expect(idx.contents(idx.find('a.js')).toString()).toBe('module.exports = 1');
    expect(idx.scriptText(idx.find('same.js'))!.byteOffset).toBe(script.byteOffset); // stored once
    expect(idx.contents(idx.find('esm.mjs')).toString()).toBe('module.exports = 1');
    // A hashbang (its text comments it out), compressed, empty, not CommonJS: the runtime builds the text.
    for (const name of ['cli.js', 'big.js', 'empty.js', 'esm.mjs']) expect(idx.scriptText(idx.find(name))).toBeUndefined();
  });

  test('identical payloads are stored once', () => {
    const one = serializeResources([{ name: 'a.txt', kind: 'asset', data: text('same content here') }], meta);
    const two = serializeResources(
      [
        { name: 'a.txt', kind: 'asset', data: text('same content here') },
        { name: 'b.txt', kind: 'asset', data: text('same content here') },
      ],
      meta,
    );
    const idx = PackedIndex.from(two);
    expect(idx.contents(idx.find('b.txt')).toString()).toBe('same content here');
    expect(idx.sectionSizes().assets).toBe(PackedIndex.from(one).sectionSizes().assets);
  });

  test('data sections are 8-byte aligned', () => {
    const count = blob.readUInt32LE(H_SECTION_COUNT);
    for (let k = 0; k < count; k++) expect(blob.readUInt32LE(HEADER_SIZE + k * SECTION_RECORD_SIZE + 4) % 8).toBe(0);
  });

  test('a blob with only empty files and no data sections is valid', () => {
    const idx = PackedIndex.from(serializeResources([{ name: 'e.js', kind: 'commonjs', data: new Uint8Array(0) }], meta));
    expect(idx.contents(idx.find('e.js')).length).toBe(0);
  });

  test('accepts an ArrayBuffer and typed arrays without copying', () => {
    const ab = new ArrayBuffer(blob.length);
    new Uint8Array(ab).set(blob);
    const idx = PackedIndex.from(ab);
    expect(idx.contents(idx.find('main.js')).buffer).toBe(ab);
    expect(PackedIndex.from(new Uint8Array(ab)).count).toBe(index.count);
  });
});

describe('the writer refuses bad input', () => {
  const bad: [string, WriterEntry[], RegExp][] = [
    ['an absolute name', [{ name: '/etc/passwd', kind: 'asset' }], /absolute/],
    ['a ".." component', [{ name: 'a/../b', kind: 'asset' }], /"\.\." component/],
    ['a "." component', [{ name: './b', kind: 'asset' }], /"\." component/],
    ['a doubled slash', [{ name: 'a//b', kind: 'asset' }], /empty path component/],
    ['a backslash', [{ name: 'a\\b', kind: 'asset' }], /contains "\\" \(names use/],
    ['a control character', [{ name: 'a\nb', kind: 'asset' }], /control character U\+000a/],
    ['a lone surrogate', [{ name: 'a\ud800', kind: 'asset' }], /lone surrogate/],
    ['a trailing slash', [{ name: 'a/', kind: 'asset' }], /ends with/],
    [
      'duplicates',
      [
        { name: 'a', kind: 'asset' },
        { name: 'a', kind: 'asset' },
      ],
      /duplicate entry "a"/,
    ],
    [
      'a file used as a directory',
      [
        { name: 'a', kind: 'asset' },
        { name: 'a/b', kind: 'asset' },
      ],
      /both a file and the parent/,
    ],
    ['a bad relative path', [{ name: 'a', kind: 'addon', relativePath: '../x' }], /invalid relative path/],
    ['import() flagged on a non-CommonJS entry', [{ name: 'a.mjs', kind: 'module', dynamicImport: true }], /not CommonJS/],
  ];
  test.each(bad)('%s', (_label, entries, message) => {
    expect(() => serializeResources(entries, meta)).toThrow(message);
  });
});

/** Recomputes the checksum and hashes so that structural validation (not them) is what a test exercises. */
function rehash(buf: Buffer): Buffer {
  const indexEnd = Math.min(buf.readUInt32LE(H_INDEX_END), buf.length);
  if (indexEnd < H_INDEX_HASH + 32) return buf;
  seal(buf, indexEnd);
  return buf;
}

function expectFormatError(buf: Buffer, message: RegExp, verify: 'none' | 'checksum' | 'index' | 'full' = 'none'): void {
  let caught: unknown;
  try {
    PackedIndex.from(buf, { verify });
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(FormatError);
  expect((caught as Error).message).toMatch(message);
}

describe("the copy of the index an executable carries (a start's check without the checksum)", () => {
  const blob = serializeResources(sample(), meta);
  const indexEnd = blob.readUInt32LE(H_INDEX_END);

  test('is the index without its magic bytes, so that no search for a blob stops at it', () => {
    const copy = indexCopyOf(blob);
    expect(copy.equals(blob.subarray(MAGIC.length, indexEnd))).toBe(true);
    expect(Buffer.from(copy).indexOf(Buffer.from(MAGIC))).toBe(-1);
    expect(matchesIndexCopy(blob, Buffer.from(copy))).toBe(true);
  });

  test('any difference, in the index or in the copy, and the two no longer match', () => {
    const copy = Buffer.from(indexCopyOf(blob));
    for (const at of [MAGIC.length, H_INDEX_END, H_CHECKSUM, HEADER_SIZE + 3, indexEnd - 1]) {
      const damaged = Buffer.from(blob);
      damaged[at] ^= 0x10;
      expect(matchesIndexCopy(damaged, copy)).toBe(false);
    }
    for (const at of [0, copy.length >> 1, copy.length - 1]) {
      const damaged = Buffer.from(copy);
      damaged[at] ^= 0x01;
      expect(matchesIndexCopy(blob, damaged)).toBe(false);
    }
    expect(matchesIndexCopy(blob, copy.subarray(0, copy.length - 1))).toBe(false);
    expect(matchesIndexCopy(blob, Buffer.concat([copy, Buffer.alloc(1)]))).toBe(false);
    // Data past the index is not the copy's concern (the SHA-256 of --verify-data is).
    const dataDamaged = Buffer.from(blob);
    dataDamaged[indexEnd + 1] ^= 0x10;
    expect(matchesIndexCopy(dataDamaged, copy)).toBe(true);
  });

  test('a blob too short for a header, or whose index end lies past its end, matches nothing', () => {
    expect(matchesIndexCopy(blob.subarray(0, 50), Buffer.alloc(42))).toBe(false);
    expect(matchesIndexCopy(Buffer.alloc(0), Buffer.alloc(0))).toBe(false);
    const longEnd = Buffer.from(blob);
    longEnd.writeUInt32LE(blob.length + 8, H_INDEX_END);
    expect(matchesIndexCopy(longEnd, Buffer.alloc(0))).toBe(false);
  });
});

describe('the reader refuses corrupt blobs with one clear error', () => {
  const good = serializeResources(sample(), meta);
  const copy = (): Buffer => Buffer.from(good);
  const sectionRecord = (id: number, buf: Buffer): number => {
    for (let k = 0; k < buf.readUInt32LE(H_SECTION_COUNT); k++) {
      const rec = HEADER_SIZE + k * SECTION_RECORD_SIZE;
      if (buf.readUInt32LE(rec) === id) return rec;
    }
    throw new Error('no such section');
  };

  test('shorter than the header', () => expectFormatError(good.subarray(0, 50), /shorter than the 104-byte header/));
  test('empty input', () => expectFormatError(Buffer.alloc(0), /truncated/));
  test('bad magic', () => {
    const b = copy();
    b[1] = 0;
    expectFormatError(b, /bad magic/);
  });
  test('unknown version', () => {
    const b = copy();
    b.writeUInt32LE(9, H_VERSION);
    expectFormatError(b, /unsupported format version 9/);
  });
  test('truncated data', () => expectFormatError(good.subarray(0, good.length - 8), /truncated: the header says/));
  test('trailing bytes', () => expectFormatError(Buffer.concat([good, Buffer.alloc(8)]), /unexpected bytes follow/));
  test('index checksum mismatch: any flipped bit of the index, including the SHA-256 fields', () => {
    const indexEnd = good.readUInt32LE(H_INDEX_END);
    for (const at of [HEADER_SIZE + 2, H_INDEX_HASH + 5, H_INDEX_HASH + 40, indexEnd - 1]) {
      const b = copy();
      b[at] ^= 1;
      expectFormatError(b, /index checksum mismatch/, 'index');
    }
    const b = copy();
    b[H_CHECKSUM] ^= 0x80;
    expectFormatError(b, /index checksum mismatch/, 'index');
  });
  test('index hash mismatch (full check only): an index whose checksum was made to match', () => {
    const b = copy();
    b[H_INDEX_HASH + 3] ^= 1; // a wrong SHA-256 of the index, with a checksum recomputed over it
    b.writeUInt32LE(indexChecksum(b, b.readUInt32LE(H_INDEX_END)), H_CHECKSUM);
    expect(() => PackedIndex.from(b, { verify: 'index' })).not.toThrow();
    expectFormatError(b, /index hash mismatch/, 'full');
  });
  test('data hash mismatch (full check only)', () => {
    const b = copy();
    b[b.length - 20] ^= 1;
    expect(() => PackedIndex.from(b, { verify: 'index' })).not.toThrow();
    expectFormatError(b, /data hash mismatch/, 'full');
  });
  test('section out of range', () => {
    const b = copy();
    const rec = sectionRecord(16, b);
    b.writeUInt32LE(b.length, rec + 4);
    expectFormatError(rehash(b), /section sources is out of range/, 'index');
  });
  test('overlapping sections', () => {
    const b = copy();
    const names = sectionRecord(2, b);
    const entries = sectionRecord(1, b);
    b.writeUInt32LE(b.readUInt32LE(entries + 4), names + 4);
    expectFormatError(rehash(b), /overlap/, 'index');
  });
  test('unknown section id', () => {
    const b = copy();
    b.writeUInt32LE(77, sectionRecord(22, b));
    expectFormatError(rehash(b), /unknown section 77/);
  });
  test('a missing required section', () => {
    const b = copy();
    b.writeUInt32LE(200, sectionRecord(4, b)); // ids from 128 up are optional, so this one is skipped
    expectFormatError(rehash(b), /meta section is missing/);
  });
  test('total length lies', () => {
    const b = copy();
    b.writeUInt32LE(b.length + 1, H_TOTAL_LENGTH);
    expectFormatError(b, /truncated/);
  });

  const entriesStart = (b: Buffer): number => b.readUInt32LE(sectionRecord(1, b) + 4);
  const namesStart = (b: Buffer): number => b.readUInt32LE(sectionRecord(2, b) + 4);
  test('invalid UTF-8 in a name', () => {
    const b = copy();
    const idx = PackedIndex.from(good);
    const i = idx.find('main.js');
    const off = b.readUInt32LE(entriesStart(b) + i * 32);
    b[namesStart(b) + off] = 0xff;
    expectFormatError(b, /not valid UTF-8/);
  });
  test('duplicate names', () => {
    const b = copy();
    const e = entriesStart(b);
    const idx = PackedIndex.from(good);
    const i = idx.find('lib/util.js');
    b.copy(b, e + (i + 1) * 32, e + i * 32, e + i * 32 + 8); // next entry gets the same name
    expectFormatError(b, /duplicate name|not sorted|does not belong/);
  });
  test('a name out of range', () => {
    const b = copy();
    b.writeUInt32LE(0xffff_fff0, entriesStart(b) + 32 + 4);
    expectFormatError(b, /name is out of range/);
  });
  test('data out of range', () => {
    const b = copy();
    const idx = PackedIndex.from(good);
    const i = idx.find('main.js');
    b.writeUInt32LE(0x7fff_ffff, entriesStart(b) + i * 32 + 12);
    expectFormatError(b, /out of range of the sources section/);
  });
  test('unknown kind', () => {
    const b = copy();
    b[entriesStart(b) + 32 + 8] = 42;
    expectFormatError(b, /unknown kind 42/);
    // 'trusted' (bytes another thread validated) reads the header and sections only
    expect(() => PackedIndex.from(b, { verify: 'trusted' })).not.toThrow();
    // 'checksum' (an executable's own sealed asset) checks the checksum only: a damaged record fails
    // it, and only a blob re-sealed over the damage (a forgery, not an accident) gets past it.
    expect(() => PackedIndex.from(b, { verify: 'checksum' })).toThrow(/index checksum mismatch/);
    b.writeUInt32LE(indexChecksum(b, b.readUInt32LE(H_INDEX_END)), H_CHECKSUM);
    expect(() => PackedIndex.from(b, { verify: 'checksum' })).not.toThrow();
    expectFormatError(b, /unknown kind 42/, 'index');
  });
  test('the expressions-only import() flag without the import() flag', () => {
    const b = copy();
    const i = PackedIndex.from(good).find('main.js');
    b[entriesStart(b) + i * 32 + 9] |= 8;
    expectFormatError(b, /flagged as calling import\(\) in expressions only/);
  });
  test('a module flagged as wrapped in its script whose wrapper bytes were changed', () => {
    const b = copy();
    const i = PackedIndex.from(good).find('lib/util.js');
    PackedIndex.from(b).scriptText(i)![0] = 0x21; // a view of b: "(function" becomes "!function"
    expectFormatError(b, /bytes around it are not the wrapper/);
    const tail = copy();
    const view = PackedIndex.from(tail).scriptText(i)!;
    view[view.length - 1] = 0x3b;
    expectFormatError(tail, /bytes around it are not the wrapper/);
  });
  test('the wrapped flag on an entry that is not a stored CommonJS module', () => {
    const b = copy();
    const i = PackedIndex.from(good).find('lib/esm.mjs');
    b[entriesStart(b) + i * 32 + 9] |= 16;
    expectFormatError(b, /only a stored, uncompressed CommonJS module can be flagged as wrapped/);
  });
  test('the import() flag on an entry that is not CommonJS', () => {
    const b = copy();
    const i = PackedIndex.from(good).find('lib/esm.mjs');
    b[entriesStart(b) + i * 32 + 9] |= 4;
    expectFormatError(b, /only CommonJS modules can be flagged/);
  });
  test('a directory listing a foreign child', () => {
    const b = copy();
    const idx = PackedIndex.from(good);
    const data = idx.find('data');
    const dirsStart = b.readUInt32LE(sectionRecord(3, b) + 4);
    const listOff = b.readUInt32LE(entriesStart(b) + data * 32 + 12);
    b.writeUInt32LE(idx.find('main.js'), dirsStart + listOff);
    expectFormatError(b, /does not belong|out of order/);
  });
});

function exerciseIndex(idx: PackedIndex): void {
  for (let i = 0; i < idx.count; i++) {
    const name = idx.name(i);
    expect(idx.find(name)).toBe(i);
    idx.kindName(i);
    // A damaged resolutions section answers less, never with a folder, a link or a missing entry.
    const answer = idx.resolutions?.lookup(i, './lib/util') ?? idx.resolutions?.lookup(i, 'a');
    if (answer !== undefined) expect(answer < idx.count && !idx.isDirectory(answer) && idx.kindName(answer) !== 'symlink').toBe(true);
    idx.size(i);
    idx.codeCache(i);
    if (idx.isDirectory(i)) idx.childNames(i);
    else {
      try {
        idx.contents(i);
      } catch (err) {
        expect(err).toBeInstanceOf(FormatError); // a corrupt compressed stream is reported, not thrown raw
      }
    }
  }
  idx.find('no/such/name');
}

describe('fuzz: mutated blobs give a valid index or a FormatError, nothing else', () => {
  const base = serializeResources(sample(), meta, {
    resolutions: [
      { parent: 'main.js', specifier: './lib/util', target: 'lib/util.js' },
      { parent: 'main.js', specifier: 'a', target: 'node_modules/a/index.js' },
      { parent: 'lib/util.js', specifier: '../ünïcødé/日本.json', target: 'ünïcødé/日本.json' },
    ],
  });
  const seeds = [1, 2, 3, 4, 5];
  test.each(seeds)('seed %i', (seed) => {
    const rand = prng(seed);
    const pick = (n: number): number => Math.floor(rand() * n);
    let accepted = 0;
    for (let round = 0; round < 1000; round++) {
      let b = Buffer.from(base);
      const mutations = 1 + pick(4);
      for (let m = 0; m < mutations; m++) {
        switch (pick(6)) {
          case 0: // flip a byte anywhere
            if (b.length > 0) b[pick(b.length)] ^= 1 + pick(255);
            break;
          case 1: // flip a byte in the index region, where structure lives
            if (b.length >= HEADER_SIZE) b[pick(Math.min(b.length, b.readUInt32LE(H_INDEX_END) || b.length))] = pick(256);
            break;
          case 2: // overwrite an aligned u32 with an edge value
            if (b.length >= 4) {
              b.writeUInt32LE([0, 1, 7, 8, 0xffffffff, 0x80000000, b.length, pick(b.length)][pick(8)]!, pick(b.length >>> 2) << 2);
            }
            break;
          case 3:
            b = b.subarray(0, pick(b.length));
            break;
          case 4:
            b = Buffer.concat([b, Buffer.alloc(1 + pick(16), pick(256))]);
            break;
          default: // swap two entry records
            if (b.length >= HEADER_SIZE) {
              const e = HEADER_SIZE + b.readUInt32LE(H_SECTION_COUNT) * SECTION_RECORD_SIZE;
              const x = e + pick(10) * 32;
              const y = e + pick(10) * 32;
              if (y + 32 <= b.length && x + 32 <= b.length) {
                const tmp = Buffer.from(b.subarray(x, x + 32));
                b.copy(b, x, y, y + 32);
                tmp.copy(b, y);
              }
            }
        }
      }
      const verify = pick(4) === 0 ? 'index' : 'none';
      if (verify === 'none' && b.length >= HEADER_SIZE) rehash(b);
      let idx: PackedIndex | undefined;
      try {
        idx = PackedIndex.from(b, { verify });
      } catch (err) {
        if (!(err instanceof FormatError)) throw new Error(`seed ${seed} round ${round}: ${(err as Error).stack}`);
        continue;
      }
      accepted++;
      exerciseIndex(idx);
    }
    // Some mutations land in data bytes and leave a valid index: both outcomes must occur.
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(1000);
  });
});
