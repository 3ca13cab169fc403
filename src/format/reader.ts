/**
 * Reads a packed blob (docs/format.md) without copying it. Shared by the runtime (inside every packed
 * executable) and the build-time tools (inspect, verify), so it uses Node built-ins only.
 *
 * PackedIndex.from() validates the whole index in one pass before it returns (unless told the bytes
 * are vouched for: IndexOptions.verify): a malformed blob gives one FormatError that names the problem
 * and never an object that fails later. Data stays where it is;
 * accessors hand out views into the caller's buffer, which must not change afterwards.
 */
import { isUtf8 } from 'node:buffer';
import { indexChecksum } from './checksum.js';
import { u32Words } from './words.js';
import { Resolutions } from './resolutions.js';
import type zlib from 'node:zlib';
import { builtin } from '../builtins.js';
import {
  Compression,
  type CompressionName,
  COMPRESSION_NAMES,
  dataSectionFor,
  ENTRY_RECORD_SIZE,
  E_CACHE_LENGTH,
  E_CACHE_OFFSET,
  E_COMPRESSION,
  E_DATA_LENGTH,
  E_DATA_OFFSET,
  E_FLAGS,
  E_KIND,
  E_NAME_LENGTH,
  E_NAME_OFFSET,
  E_SIZE,
  FIRST_DATA_SECTION,
  FIRST_OPTIONAL_SECTION,
  Flag,
  FormatError,
  FORMAT_VERSION,
  HASH_SIZE,
  HEADER_SIZE,
  H_DATA_HASH,
  H_ENTRY_COUNT,
  H_FLAGS,
  H_HEADER_END,
  H_INDEX_END,
  H_CHECKSUM,
  H_INDEX_HASH,
  H_SECTION_COUNT,
  H_TOTAL_LENGTH,
  H_VERSION,
  Kind,
  type KindCode,
  KIND_NAMES,
  KNOWN_FLAGS,
  MAGIC,
  type PackedMeta,
  type ResourceKind,
  Section,
  SECTION_NAMES,
  SECTION_RECORD_SIZE,
  SCRIPT_HEAD,
  SCRIPT_TAIL,
} from './layout.js';

export type Verification = 'trusted' | 'none' | 'checksum' | 'index' | 'full';

export interface IndexOptions {
  /**
   * 'index' (default) checks the index checksum, which is cheap (checksum.ts); 'full' also checks the
   * SHA-256 of the index and of the data; 'none' checks only the structure (tests and tools that
   * report a mismatch themselves); 'trusted' skips the per-entry checks too, for bytes that already
   * passed them in this process and cannot have changed since (the SEA asset, read by a worker or
   * the hooks thread after the main thread validated it, or an executable's asset whose index equals
   * the copy beside it: index-copy.ts). 'checksum' checks the index checksum and
   * nothing else: for the asset of a packed executable, sealed by the build that also wrote the
   * runtime reading it, where a matching checksum means the bytes are the writer's own (whose
   * structure the format's tests vouch for) and the per-entry pass would cost every start time in
   * proportion to the app.
   */
  verify?: Verification;
}

const SLASH = 0x2f;
const DOT = 0x2e;
const MAX_SECTIONS = 64;
const SCRIPT_HEAD_BYTES = Buffer.from(SCRIPT_HEAD, 'latin1');
const SCRIPT_TAIL_BYTES = Buffer.from(SCRIPT_TAIL, 'latin1');
const SCRIPT_HEAD_LENGTH = SCRIPT_HEAD_BYTES.length;
const SCRIPT_TAIL_LENGTH = SCRIPT_TAIL_BYTES.length;

interface SectionView {
  start: number;
  length: number;
}

export class PackedIndex {
  /** The whole blob, as given (a view, not a copy). */
  readonly buffer: Buffer;
  readonly count: number;
  readonly meta: PackedMeta;
  readonly version: number;
  private readonly entries: Buffer;
  private readonly names: Buffer;
  private readonly sections: Map<number, SectionView>;
  private readonly indexEnd: number;
  private resolutionTable: Resolutions | null | undefined;
  /** The entry table as 32-bit words (format/words.ts), made at the first search. */
  private words: Uint32Array | undefined;
  /** find()'s answers so far. */
  private found: Map<string, number> | undefined;

  private constructor(buffer: Buffer, count: number, meta: PackedMeta, sections: Map<number, SectionView>, indexEnd: number) {
    this.buffer = buffer;
    this.count = count;
    this.meta = meta;
    this.version = FORMAT_VERSION;
    this.sections = sections;
    this.indexEnd = indexEnd;
    this.entries = this.sectionBytes(Section.entries);
    this.names = this.sectionBytes(Section.names);
  }

  /** Validates `bytes` and returns an index over them, or throws a FormatError. */
  static from(bytes: ArrayBuffer | ArrayBufferView, options: IndexOptions = {}): PackedIndex {
    const buf = toBuffer(bytes);
    const verify = options.verify ?? 'index';
    if (buf.length < HEADER_SIZE) {
      throw new FormatError(`truncated: ${buf.length} bytes is shorter than the ${HEADER_SIZE}-byte header`);
    }
    if (buf.compare(MAGIC, 0, MAGIC.length, 0, MAGIC.length) !== 0) {
      throw new FormatError('not an oxpack resources blob (bad magic bytes)');
    }
    const version = buf.readUInt32LE(H_VERSION);
    if (version !== FORMAT_VERSION) {
      throw new FormatError(
        `unsupported format version ${version}: this oxpack reads version ${FORMAT_VERSION}; rebuild with a matching oxpack`,
      );
    }
    const total = buf.readUInt32LE(H_TOTAL_LENGTH);
    if (total > buf.length) throw new FormatError(`truncated: the header says ${total} bytes, only ${buf.length} are present`);
    if (total < buf.length) throw new FormatError(`${buf.length - total} unexpected bytes follow the end of the blob`);
    if (buf.readUInt32LE(H_FLAGS) !== 0) throw new FormatError(`unknown header flags 0x${buf.readUInt32LE(H_FLAGS).toString(16)}`);
    const sectionCount = buf.readUInt32LE(H_SECTION_COUNT);
    if (sectionCount > MAX_SECTIONS) throw new FormatError(`implausible section count ${sectionCount}`);
    const headerEnd = buf.readUInt32LE(H_HEADER_END);
    if (headerEnd !== HEADER_SIZE + sectionCount * SECTION_RECORD_SIZE) {
      throw new FormatError(`header length ${headerEnd} does not match ${sectionCount} sections`);
    }
    const indexEnd = buf.readUInt32LE(H_INDEX_END);
    if (indexEnd < headerEnd || indexEnd > total) throw new FormatError(`index end ${indexEnd} is out of range`);

    if (verify !== 'trusted' && verify !== 'none' && indexChecksum(buf, indexEnd) !== buf.readUInt32LE(H_CHECKSUM)) {
      throw new FormatError('index checksum mismatch: the packed resources are corrupt or were modified');
    }

    const sections = readSectionTable(buf, sectionCount, headerEnd, indexEnd, total);
    for (const required of [Section.entries, Section.names, Section.dirs, Section.meta]) {
      if (!sections.has(required)) throw new FormatError(`the ${SECTION_NAMES[required]} section is missing`);
    }
    const count = buf.readUInt32LE(H_ENTRY_COUNT);
    const entriesSection = sections.get(Section.entries)!;
    if (entriesSection.length !== count * ENTRY_RECORD_SIZE) {
      throw new FormatError(`the entries section holds ${entriesSection.length} bytes, expected ${count} × ${ENTRY_RECORD_SIZE}`);
    }
    if (count === 0) throw new FormatError('the index has no root directory entry');
    const meta = readMeta(buf, sections.get(Section.meta)!);

    const index = new PackedIndex(buf, count, meta, sections, indexEnd);
    if (verify !== 'trusted' && verify !== 'checksum') index.validateEntries();
    if (verify === 'full') index.verifyHashes();
    return index;
  }

  /**
   * Checks the SHA-256 of the index and of the data region against the header. Needs node:crypto,
   * loaded here rather than at start-up (see checksum.ts).
   */
  verifyHashes(): void {
    const buf = this.buffer;
    const { createHash } = builtin<typeof import('node:crypto')>('node:crypto');
    const indexHash = createHash('sha256')
      .update(buf.subarray(0, H_CHECKSUM))
      .update(new Uint8Array(H_INDEX_HASH + HASH_SIZE - H_CHECKSUM))
      .update(buf.subarray(H_INDEX_HASH + HASH_SIZE, this.indexEnd))
      .digest();
    if (indexHash.compare(buf, H_INDEX_HASH, H_INDEX_HASH + HASH_SIZE) !== 0) {
      throw new FormatError('index hash mismatch: the packed resources are corrupt or were modified');
    }
    const hash = createHash('sha256').update(buf.subarray(this.indexEnd)).digest();
    if (hash.compare(buf, H_DATA_HASH, H_DATA_HASH + HASH_SIZE) !== 0) {
      throw new FormatError('data hash mismatch: the packed resources are corrupt or were modified');
    }
  }

  /** Hex SHA-256 of the index: identifies the blob (it covers the data hash too). */
  get hash(): string {
    return this.buffer.toString('hex', H_INDEX_HASH, H_INDEX_HASH + HASH_SIZE);
  }

  get dataHash(): string {
    return this.buffer.toString('hex', H_DATA_HASH, H_DATA_HASH + HASH_SIZE);
  }

  /**
   * Entry number of `name`, or -1. The loaders and the fs overlay ask for the same few names again
   * and again (a module's path by the resolver, the loader and stat), so answers are kept; an app
   * that stats many distinct paths only refills the memo.
   */
  find(name: string): number {
    const memo = (this.found ??= new Map());
    let i = memo.get(name);
    if (i === undefined) {
      i = this.search(name);
      if (memo.size >= FIND_MEMO_LIMIT) memo.clear();
      memo.set(name, i);
    }
    return i;
  }

  /**
   * Binary search over the sorted UTF-8 names, comparing bytes in place: no per-step native call or
   * argument checks (Buffer#compare with ranges costs more than the comparison in code that has not
   * been optimized yet, which is all code at start-up). Names in the range left share with the query
   * at least the bytes both of its bounds share with it, so those are not compared again.
   */
  private search(name: string): number {
    const query = Buffer.from(name, 'utf8');
    const queryLength = query.length;
    const names = this.names;
    const w = (this.words ??= u32Words(this.entries, this.entries.length));
    let lo = 0;
    let hi = this.count - 1;
    let loShared = 0;
    let hiShared = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const off = w[mid * RECORD_WORDS + W_NAME_OFFSET]!;
      const len = w[mid * RECORD_WORDS + W_NAME_LENGTH]!;
      const n = len < queryLength ? len : queryLength;
      let k = loShared < hiShared ? loShared : hiShared;
      while (k < n && names[off + k] === query[k]) k++;
      // < 0: the entry's name sorts before the query.
      const cmp = k < n ? names[off + k]! - query[k]! : len - queryLength;
      if (cmp === 0) return mid;
      if (cmp < 0) {
        lo = mid + 1;
        loShared = k;
      } else {
        hi = mid - 1;
        hiShared = k;
      }
    }
    return -1;
  }

  name(i: number): string {
    const rec = i * ENTRY_RECORD_SIZE;
    const off = this.entries.readUInt32LE(rec + E_NAME_OFFSET);
    return this.names.toString('utf8', off, off + this.entries.readUInt32LE(rec + E_NAME_LENGTH));
  }

  kind(i: number): KindCode {
    return this.entries[i * ENTRY_RECORD_SIZE + E_KIND] as KindCode;
  }

  kindName(i: number): ResourceKind {
    return KIND_NAMES[this.kind(i)]!;
  }

  isDirectory(i: number): boolean {
    return this.kind(i) === Kind.directory;
  }

  isExecutable(i: number): boolean {
    return (this.entries[i * ENTRY_RECORD_SIZE + E_FLAGS]! & Flag.executable) !== 0;
  }

  isFilesystemRelative(i: number): boolean {
    return (this.entries[i * ENTRY_RECORD_SIZE + E_FLAGS]! & Flag.filesystemRelative) !== 0;
  }

  /** A CommonJS module that contains an import() expression (decided at build time). */
  callsImport(i: number): boolean {
    return (this.entries[i * ENTRY_RECORD_SIZE + E_FLAGS]! & Flag.dynamicImport) !== 0;
  }

  /** A module that calls import() only through import() expressions in its own code. */
  importsInExpressionsOnly(i: number): boolean {
    return (this.entries[i * ENTRY_RECORD_SIZE + E_FLAGS]! & Flag.importExpressionsOnly) !== 0;
  }

  /**
   * The text a CommonJS module compiles as (SCRIPT_HEAD, its source, SCRIPT_TAIL) as one view of the
   * blob, when the build stored it so (Flag.scriptWrapped); undefined otherwise.
   */
  scriptText(i: number): Buffer | undefined {
    const rec = i * ENTRY_RECORD_SIZE;
    if ((this.entries[rec + E_FLAGS]! & Flag.scriptWrapped) === 0) return undefined;
    const section = this.sections.get(Section.sources)!;
    const off = section.start + this.entries.readUInt32LE(rec + E_DATA_OFFSET);
    const len = this.entries.readUInt32LE(rec + E_DATA_LENGTH);
    return this.buffer.subarray(off - SCRIPT_HEAD_LENGTH, off + len + SCRIPT_TAIL_LENGTH);
  }

  compression(i: number): CompressionName {
    return COMPRESSION_NAMES[this.entries[i * ENTRY_RECORD_SIZE + E_COMPRESSION]!]!;
  }

  /** Size of the file (uncompressed); for a directory, its number of children. */
  size(i: number): number {
    return this.entries.readUInt32LE(i * ENTRY_RECORD_SIZE + E_SIZE);
  }

  /** Bytes the entry occupies in the blob (compressed size, or the length of a relative path). */
  storedSize(i: number): number {
    return this.entries.readUInt32LE(i * ENTRY_RECORD_SIZE + E_DATA_LENGTH);
  }

  /** The stored bytes, compressed or not (a view into the blob). */
  stored(i: number): Buffer {
    const rec = i * ENTRY_RECORD_SIZE;
    const section = this.sections.get(dataSectionFor(this.kind(i), this.entries[rec + E_FLAGS]!));
    const off = this.entries.readUInt32LE(rec + E_DATA_OFFSET);
    const len = this.entries.readUInt32LE(rec + E_DATA_LENGTH);
    if (len === 0 || !section) return EMPTY;
    return this.buffer.subarray(section.start + off, section.start + off + len);
  }

  /**
   * The file's bytes: a view into the blob when stored uncompressed, a new buffer otherwise.
   * Callers must not write into it (the SEA asset is a read-only mapping).
   */
  contents(i: number): Buffer {
    const stored = this.stored(i);
    const method = this.entries[i * ENTRY_RECORD_SIZE + E_COMPRESSION];
    if (method === Compression.none) return stored;
    let out: Buffer;
    try {
      const { brotliDecompressSync, gunzipSync } = builtin<typeof zlib>('node:zlib');
      out = method === Compression.brotli ? brotliDecompressSync(stored) : gunzipSync(stored);
    } catch (err) {
      throw new FormatError(`entry "${this.name(i)}" does not decompress: ${(err as Error).message}`);
    }
    if (out.length !== this.size(i)) {
      throw new FormatError(`entry "${this.name(i)}" decompressed to ${out.length} bytes, expected ${this.size(i)}`);
    }
    return out;
  }

  /** Path of a filesystem-relative entry, relative to the finder's origin. */
  relativePath(i: number): string {
    return this.stored(i).toString('utf8');
  }

  /** Link text of a symlink entry (relative to the link's directory). */
  linkTarget(i: number): string {
    return this.stored(i).toString('utf8');
  }

  /** Entry numbers of a directory's children, in name order. */
  children(i: number): number[] {
    const list = this.stored(i);
    const out = new Array<number>(list.length >>> 2);
    for (let k = 0; k < out.length; k++) out[k] = list.readUInt32LE(4 * k);
    return out;
  }

  /** Base names of a directory's children, in name order. */
  childNames(i: number): string[] {
    const prefix = i === 0 ? 0 : this.entries.readUInt32LE(i * ENTRY_RECORD_SIZE + E_NAME_LENGTH) + 1;
    return this.children(i).map((c) => {
      const rec = c * ENTRY_RECORD_SIZE;
      const off = this.entries.readUInt32LE(rec + E_NAME_OFFSET);
      return this.names.toString('utf8', off + prefix, off + this.entries.readUInt32LE(rec + E_NAME_LENGTH));
    });
  }

  codeCache(i: number): Buffer | undefined {
    const rec = i * ENTRY_RECORD_SIZE;
    const len = this.entries.readUInt32LE(rec + E_CACHE_LENGTH);
    if (len === 0) return undefined;
    const section = this.sections.get(Section.codeCache)!;
    const off = section.start + this.entries.readUInt32LE(rec + E_CACHE_OFFSET);
    return this.buffer.subarray(off, off + len);
  }

  /**
   * The build's answers to literal require() and import specifiers (format/resolutions.ts), decoded as
   * they are asked for; undefined when the blob has none.
   */
  get resolutions(): Resolutions | undefined {
    if (this.resolutionTable === undefined) {
      const bytes = this.sectionBytes(Section.resolutions);
      this.resolutionTable =
        bytes.length === 0
          ? null
          : new Resolutions(bytes, (i) => {
              if (i >= this.count) return false;
              const kind = this.kind(i);
              return kind !== Kind.directory && kind !== Kind.symlink;
            });
    }
    return this.resolutionTable ?? undefined;
  }

  /** Length in bytes of every section present, by name (for inspect). */
  sectionSizes(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [id, s] of this.sections) out[SECTION_NAMES[id] ?? `optional-${id}`] = s.length;
    return out;
  }

  private sectionBytes(id: number): Buffer {
    const s = this.sections.get(id);
    return s ? this.buffer.subarray(s.start, s.start + s.length) : EMPTY;
  }

  /**
   * One pass over the entry table, then one over the folder lists; see docs/format.md "Validation".
   * Run at every start of a packed app, so it reads the records through one Uint32Array and makes no
   * per-entry allocation or native call where a comparison of integers does (about 2 µs per entry in
   * cold code, where Buffer reads, subarrays and a per-name isUtf8 call cost several times that).
   */
  private validateEntries(): void {
    const { names, count } = this;
    const w = (this.words ??= u32Words(this.entries, this.entries.length));
    const dirs = this.sectionBytes(Section.dirs);
    // Names are valid UTF-8 when their section is and each starts and ends on a character boundary.
    if (!isUtf8(names)) throw new FormatError('the names section is not valid UTF-8');
    const boundary = (p: number): boolean => p === names.length || (names[p]! & 0xc0) !== 0x80;
    const sectionLength = new Uint32Array(FIRST_OPTIONAL_SECTION);
    for (const [id, view] of this.sections) if (id < FIRST_OPTIONAL_SECTION) sectionLength[id] = view.length;
    const label = (i: number): string => `entry "${this.name(i)}"`;
    let prevOff = 0;
    let prevLen = 0;
    for (let i = 0; i < count; i++) {
      const r = i * RECORD_WORDS;
      const nameOff = w[r + W_NAME_OFFSET]!;
      const nameLen = w[r + W_NAME_LENGTH]!;
      if (nameOff > names.length || nameLen > names.length - nameOff) {
        throw new FormatError(`entry ${i}: its name is out of range`);
      }
      if (!boundary(nameOff) || !boundary(nameOff + nameLen)) throw new FormatError(`entry ${i}: its name is not valid UTF-8`);
      const kindWord = w[r + W_KIND_FLAGS]!;
      const kind = kindWord & 0xff;
      const flags = (kindWord >>> 8) & 0xff;
      const compression = (kindWord >>> 16) & 0xff;
      if (i > 0) {
        const cmp = compareNames(names, prevOff, prevLen, nameOff, nameLen);
        if (cmp === 0) throw new FormatError(`entry ${i}: duplicate name "${this.name(i)}"`);
        if (cmp > 0) throw new FormatError(`entry ${i}: names are not sorted ("${this.name(i)}")`);
      } else if (nameLen !== 0 || kind !== Kind.directory) {
        throw new FormatError('entry 0 is not the root directory');
      }
      prevOff = nameOff;
      prevLen = nameLen;

      if (kind < Kind.directory || kind > Kind.symlink) throw new FormatError(`${label(i)}: unknown kind ${kind}`);
      if (flags & ~KNOWN_FLAGS) throw new FormatError(`${label(i)}: unknown flags 0x${flags.toString(16)}`);
      if (compression > Compression.gzip) throw new FormatError(`${label(i)}: unknown compression ${compression}`);
      if (flags & Flag.dynamicImport && kind !== Kind.commonjs)
        throw new FormatError(`${label(i)}: only CommonJS modules can be flagged as calling import()`);
      if (flags & Flag.importExpressionsOnly && !(flags & Flag.dynamicImport))
        throw new FormatError(`${label(i)}: flagged as calling import() in expressions only, but not as calling import()`);
      const special = kind === Kind.directory || kind === Kind.symlink;
      const relative = (flags & Flag.filesystemRelative) !== 0;
      if (special && relative) throw new FormatError(`${label(i)}: a ${KIND_NAMES[kind]} cannot be filesystem-relative`);
      if ((special || relative) && compression !== Compression.none) {
        throw new FormatError(`${label(i)}: a ${KIND_NAMES[kind]} entry cannot be compressed`);
      }

      const dataOff = w[r + W_DATA_OFFSET]!;
      const dataLen = w[r + W_DATA_LENGTH]!;
      const sectionId = dataSectionFor(kind as KindCode, flags);
      const sectionLen = sectionLength[sectionId]!;
      if (dataLen > 0 && (dataOff > sectionLen || dataLen > sectionLen - dataOff)) {
        throw new FormatError(`${label(i)}: its data is out of range of the ${SECTION_NAMES[sectionId]} section`);
      }
      if (flags & Flag.scriptWrapped) {
        if (kind !== Kind.commonjs || relative || compression !== Compression.none || dataLen === 0) {
          throw new FormatError(`${label(i)}: only a stored, uncompressed CommonJS module can be flagged as wrapped in its script`);
        }
        // The runtime compiles the bytes around the module as code: they must be the wrapper exactly.
        const at = this.sections.get(sectionId)!.start + dataOff;
        if (
          dataOff < SCRIPT_HEAD_LENGTH ||
          sectionLen - dataOff - dataLen < SCRIPT_TAIL_LENGTH ||
          this.buffer.compare(SCRIPT_HEAD_BYTES, 0, SCRIPT_HEAD_LENGTH, at - SCRIPT_HEAD_LENGTH, at) !== 0 ||
          this.buffer.compare(SCRIPT_TAIL_BYTES, 0, SCRIPT_TAIL_LENGTH, at + dataLen, at + dataLen + SCRIPT_TAIL_LENGTH) !== 0
        ) {
          throw new FormatError(`${label(i)}: flagged as wrapped in its script, but the bytes around it are not the wrapper`);
        }
      }
      const size = w[r + W_SIZE]!;
      if (compression === Compression.none && !special && !relative && size !== dataLen) {
        throw new FormatError(`${label(i)}: size ${size} does not match its ${dataLen} stored bytes`);
      }
      if (kind === Kind.symlink || relative) {
        if (dataLen === 0 || !isUtf8(this.stored(i))) throw new FormatError(`${label(i)}: its path is empty or not valid UTF-8`);
      }
      const cacheLen = w[r + W_CACHE_LENGTH]!;
      if (cacheLen > 0) {
        const cacheOff = w[r + W_CACHE_OFFSET]!;
        const cacheSection = sectionLength[Section.codeCache]!;
        if (cacheOff > cacheSection || cacheLen > cacheSection - cacheOff) {
          throw new FormatError(`${label(i)}: its code cache is out of range`);
        }
      }
    }
    // Second pass: every name and range is known to be sound, so child lists can be checked against them.
    let listed = 0;
    for (let i = 0; i < count; i++) {
      const r = i * RECORD_WORDS;
      if ((w[r + W_KIND_FLAGS]! & 0xff) !== Kind.directory) continue;
      const size = w[r + W_SIZE]!;
      const dataOff = w[r + W_DATA_OFFSET]!;
      if (w[r + W_DATA_LENGTH] !== size * 4) {
        throw new FormatError(`entry "${this.name(i)}": its child list is malformed`);
      }
      const nameOff = w[r + W_NAME_OFFSET]!;
      const nameLen = w[r + W_NAME_LENGTH]!;
      let previous = i;
      for (let k = 0; k < size; k++) {
        const child = dirs.readUInt32LE(dataOff + 4 * k);
        if (child <= previous || child >= count) {
          throw new FormatError(`entry "${this.name(i)}": child ${child} is out of order or out of range`);
        }
        const c = child * RECORD_WORDS;
        checkChildName(names, i, nameOff, nameLen, child, w[c + W_NAME_OFFSET]!, w[c + W_NAME_LENGTH]!);
        previous = child;
      }
      listed += size;
    }
    if (listed !== count - 1) {
      throw new FormatError(`directories list ${listed} children but the index has ${count - 1} non-root entries`);
    }
  }
}

/** Entry record fields as 32-bit word numbers (layout.ts gives byte offsets). */
const RECORD_WORDS = ENTRY_RECORD_SIZE / 4;
/** Names find() remembers before it starts over: far more than an app's modules and package files. */
const FIND_MEMO_LIMIT = 8192;
const W_NAME_OFFSET = E_NAME_OFFSET / 4;
const W_NAME_LENGTH = E_NAME_LENGTH / 4;
const W_KIND_FLAGS = E_KIND / 4; // kind, flags, compression, reserved: one byte each
const W_DATA_OFFSET = E_DATA_OFFSET / 4;
const W_DATA_LENGTH = E_DATA_LENGTH / 4;
const W_SIZE = E_SIZE / 4;
const W_CACHE_OFFSET = E_CACHE_OFFSET / 4;
const W_CACHE_LENGTH = E_CACHE_LENGTH / 4;

/** Byte-wise comparison of two names in the names section, as Buffer.compare orders them. */
function compareNames(names: Buffer, aOff: number, aLen: number, bOff: number, bLen: number): number {
  const n = Math.min(aLen, bLen);
  for (let k = 0; k < n; k++) {
    const d = names[aOff + k]! - names[bOff + k]!;
    if (d !== 0) return d;
  }
  return aLen - bLen;
}

/** A child's name must be "<parent>/<leaf>" (or "<leaf>" under the root), leaf not "", "." or "..". */
function checkChildName(
  names: Buffer,
  parent: number,
  parentOff: number,
  parentLen: number,
  child: number,
  off: number,
  len: number,
): void {
  let leafStart = off;
  if (parent !== 0) {
    if (len <= parentLen + 1 || names[off + parentLen] !== SLASH || compareNames(names, parentOff, parentLen, off, parentLen) !== 0) {
      throw new FormatError(`entry ${child} is listed in a directory it does not belong to`);
    }
    leafStart = off + parentLen + 1;
  }
  const end = off + len;
  if (leafStart === end) throw new FormatError(`entry ${child} is listed in a directory it does not belong to`);
  for (let p = leafStart; p < end; p++) {
    if (names[p] === SLASH) throw new FormatError(`entry ${child} is listed in a directory it does not belong to`);
  }
  const leafLen = end - leafStart;
  if (names[leafStart] === DOT && (leafLen === 1 || (leafLen === 2 && names[leafStart + 1] === DOT))) {
    throw new FormatError(`entry ${child} has a "." or ".." component`);
  }
}

const EMPTY = Buffer.alloc(0);

function toBuffer(bytes: ArrayBuffer | ArrayBufferView): Buffer {
  if (Buffer.isBuffer(bytes)) return bytes;
  if (ArrayBuffer.isView(bytes)) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes instanceof ArrayBuffer) return Buffer.from(bytes);
  throw new TypeError('packed resources must be an ArrayBuffer, a Buffer or a typed array');
}

function readSectionTable(buf: Buffer, count: number, headerEnd: number, indexEnd: number, total: number): Map<number, SectionView> {
  const sections = new Map<number, SectionView>();
  const spans: { id: number; start: number; end: number }[] = [];
  for (let k = 0; k < count; k++) {
    const rec = HEADER_SIZE + k * SECTION_RECORD_SIZE;
    const id = buf.readUInt32LE(rec);
    const start = buf.readUInt32LE(rec + 4);
    const length = buf.readUInt32LE(rec + 8);
    const label = SECTION_NAMES[id] ?? `${id}`;
    if (id < FIRST_OPTIONAL_SECTION && SECTION_NAMES[id] === undefined) throw new FormatError(`unknown section ${id}`);
    if (sections.has(id)) throw new FormatError(`section ${label} appears twice`);
    if (start % 8 !== 0) throw new FormatError(`section ${label} is not 8-byte aligned`);
    const [lo, hi] =
      id >= FIRST_OPTIONAL_SECTION ? [headerEnd, total] : id < FIRST_DATA_SECTION ? [headerEnd, indexEnd] : [indexEnd, total];
    if (start < lo || start > hi || length > hi - start) throw new FormatError(`section ${label} is out of range`);
    sections.set(id, { start, length });
    spans.push({ id, start, end: start + length });
  }
  spans.sort((a, b) => a.start - b.start);
  for (let k = 1; k < spans.length; k++) {
    if (spans[k]!.start < spans[k - 1]!.end) {
      throw new FormatError(
        `sections ${SECTION_NAMES[spans[k - 1]!.id] ?? spans[k - 1]!.id} and ${SECTION_NAMES[spans[k]!.id] ?? spans[k]!.id} overlap`,
      );
    }
  }
  return sections;
}

function readMeta(buf: Buffer, section: SectionView): PackedMeta {
  const bytes = buf.subarray(section.start, section.start + section.length);
  if (!isUtf8(bytes)) throw new FormatError('the meta section is not valid UTF-8');
  let meta: unknown;
  try {
    meta = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new FormatError('the meta section is not valid JSON');
  }
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw new FormatError('the meta section is not a JSON object');
  return meta as PackedMeta;
}
