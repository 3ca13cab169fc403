/**
 * Serializes entries into one packed blob (docs/format.md). Build time only.
 *
 * Output is deterministic: entries are sorted by the bytes of their UTF-8 names, data is laid out in
 * that order, identical payloads inside a section are stored once, and nothing depends on the clock
 * or on hash-map iteration order.
 */
import { createHash } from 'node:crypto';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';
import {
  align,
  Compression,
  type CompressionName,
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
  Flag,
  FORMAT_VERSION,
  HEADER_SIZE,
  H_CHECKSUM,
  H_DATA_HASH,
  H_ENTRY_COUNT,
  H_HEADER_END,
  H_INDEX_END,
  H_INDEX_HASH,
  HASH_SIZE,
  H_SECTION_COUNT,
  H_TOTAL_LENGTH,
  H_VERSION,
  Kind,
  KIND_CODES,
  MAGIC,
  type PackedMeta,
  type ResourceKind,
  Section,
  SECTION_RECORD_SIZE,
  type SectionId,
  SCRIPT_HEAD,
  SCRIPT_TAIL,
} from './layout.js';
import { indexChecksum } from './checksum.js';
import { invalidNameReason, parentName } from './names.js';
import { encodeResolutions } from './resolutions.js';

export interface WriterEntry {
  /** '/'-separated path relative to the app root. */
  name: string;
  kind: ResourceKind;
  executable?: boolean;
  /** A CommonJS module whose code contains an import() expression (see build/parse.ts callsImport). */
  dynamicImport?: boolean;
  /** With dynamicImport: every import() is an expression in the module's own code (parse.ts importCalls). */
  importExpressionsOnly?: boolean;
  /** File contents (in-memory entries) or link text (symlinks, relative to the link's directory). */
  data?: Uint8Array;
  /** Filesystem-relative entries: where the file lives, relative to the finder's origin. */
  relativePath?: string;
  /** Size of a filesystem-relative file (in-memory entries use data.length). */
  size?: number;
  /** V8 code cache produced for this module by the target Node. */
  codeCache?: Uint8Array;
  /** Requested compression; applied only when it makes the entry smaller. */
  compression?: CompressionName;
}

export class WriterError extends Error {
  readonly code = 'OXPACK_WRITE';
}

const MAX_U32 = 0xffff_ffff;
const encoder = new TextEncoder();
const SCRIPT_HEAD_BYTES = encoder.encode(SCRIPT_HEAD);
const SCRIPT_TAIL_BYTES = encoder.encode(SCRIPT_TAIL);

interface Pending {
  name: string;
  nameBytes: Buffer;
  kind: number;
  flags: number;
  compression: number;
  size: number;
  payload: Uint8Array; // what gets stored in the data section (with the script text around a wrapped module)
  codeCache?: Uint8Array;
  children?: number[]; // directories: entry indices, filled after sorting
}

/** A literal require() or import specifier of a packed module and the packed file it resolves to, by entry names. */
export interface WriterResolution {
  parent: string;
  specifier: string;
  target: string;
}

export interface SerializeOptions {
  /** Written to the optional resolutions section (format/resolutions.ts). */
  resolutions?: readonly WriterResolution[];
}

/** Serializes `entries` (parent directories are synthesized) with `meta` into a new blob. */
export function serializeResources(entries: Iterable<WriterEntry>, meta: PackedMeta, options: SerializeOptions = {}): Buffer {
  const byName = new Map<string, Pending>();

  const addDirectory = (name: string): void => {
    for (let dir: string | undefined = name; dir !== undefined; dir = dir === '' ? undefined : parentName(dir)) {
      const existing = byName.get(dir);
      if (existing) {
        if (existing.kind !== Kind.directory) {
          throw new WriterError(`"${dir}" is both a file and the parent directory of other entries`);
        }
        return; // its parents exist already
      }
      byName.set(dir, pendingDirectory(dir));
    }
  };

  addDirectory('');
  for (const entry of entries) {
    const reason = invalidNameReason(entry.name);
    if (reason) throw new WriterError(`invalid entry name ${JSON.stringify(entry.name)}: ${reason}`);
    const existing = byName.get(entry.name);
    if (entry.kind === 'directory') {
      if (existing && existing.kind !== Kind.directory) {
        throw new WriterError(`duplicate entry "${entry.name}" (a file and a directory)`);
      }
      addDirectory(entry.name);
      continue;
    }
    if (existing) {
      throw new WriterError(
        existing.kind === Kind.directory
          ? `"${entry.name}" is both a file and the parent directory of other entries`
          : `duplicate entry "${entry.name}"`,
      );
    }
    if (entry.name !== '') addDirectory(parentName(entry.name));
    byName.set(entry.name, pendingFile(entry));
  }

  const pending = [...byName.values()].sort((a, b) => Buffer.compare(a.nameBytes, b.nameBytes));
  const indexOf = new Map<string, number>();
  pending.forEach((p, i) => indexOf.set(p.name, i));
  for (let i = 1; i < pending.length; i++) {
    const p = pending[i]!;
    const parent = pending[indexOf.get(parentName(p.name))!]!;
    (parent.children ??= []).push(i); // ascending index order = ascending name order
  }
  for (const p of pending) {
    if (p.kind === Kind.directory) {
      const list = Buffer.alloc(4 * (p.children?.length ?? 0));
      p.children?.forEach((child, k) => list.writeUInt32LE(child, 4 * k));
      p.payload = list;
      p.size = p.children?.length ?? 0;
    }
  }
  let resolutions: Buffer | undefined;
  if (options.resolutions && options.resolutions.length > 0) {
    const entryOf = (name: string): number => {
      const i = indexOf.get(name);
      if (i === undefined) throw new WriterError(`a resolution names "${name}", which is not an entry`);
      return i;
    };
    resolutions = encodeResolutions(
      options.resolutions.map((r) => ({ parent: entryOf(r.parent), specifier: r.specifier, target: entryOf(r.target) })),
    );
  }
  return layout(pending, meta, resolutions);
}

function pendingDirectory(name: string): Pending {
  return {
    name,
    nameBytes: Buffer.from(name, 'utf8'),
    kind: Kind.directory,
    flags: Flag.executable, // directories are searchable
    compression: Compression.none,
    size: 0,
    payload: new Uint8Array(0),
  };
}

function pendingFile(entry: WriterEntry): Pending {
  const kind = KIND_CODES[entry.kind];
  if (kind === undefined) throw new WriterError(`entry "${entry.name}" has an unknown kind "${String(entry.kind)}"`);
  let flags = entry.executable ? Flag.executable : 0;
  if (entry.dynamicImport) {
    if (kind !== Kind.commonjs) throw new WriterError(`entry "${entry.name}" is not CommonJS but is flagged as calling import()`);
    flags |= Flag.dynamicImport;
    if (entry.importExpressionsOnly) flags |= Flag.importExpressionsOnly;
  } else if (entry.importExpressionsOnly) {
    throw new WriterError(`entry "${entry.name}" is flagged as calling import() only in expressions but not as calling import()`);
  }
  let payload: Uint8Array;
  let size: number;
  let compression: number = Compression.none;
  if (entry.relativePath !== undefined) {
    if (kind === Kind.symlink) throw new WriterError(`symlink "${entry.name}" cannot be filesystem-relative`);
    const reason = invalidNameReason(entry.relativePath);
    if (reason || entry.relativePath === '') {
      throw new WriterError(
        `entry "${entry.name}" has an invalid relative path ${JSON.stringify(entry.relativePath)}: ${reason ?? 'it is empty'}`,
      );
    }
    flags |= Flag.filesystemRelative;
    payload = encoder.encode(entry.relativePath);
    size = entry.size ?? 0;
  } else {
    const data = entry.data ?? new Uint8Array(0);
    size = data.length;
    payload = data;
    if (entry.compression && entry.compression !== 'none' && kind !== Kind.symlink && data.length > 0) {
      const packed = compress(data, entry.compression);
      if (packed.length < data.length) {
        payload = packed;
        compression = Compression[entry.compression];
      }
    }
    // Stored inside its script text (Flag.scriptWrapped), unless it starts with a hashbang: that text
    // turns the "#!" into "//", so the runtime builds it.
    if (kind === Kind.commonjs && compression === Compression.none && data.length > 0 && !(data[0] === 0x23 && data[1] === 0x21)) {
      payload = Buffer.concat([SCRIPT_HEAD_BYTES, data, SCRIPT_TAIL_BYTES]);
      flags |= Flag.scriptWrapped;
    }
  }
  if (size > MAX_U32 || payload.length > MAX_U32) throw new WriterError(`entry "${entry.name}" is larger than 4 GiB`);
  return {
    name: entry.name,
    nameBytes: Buffer.from(entry.name, 'utf8'),
    kind,
    flags,
    compression,
    size,
    payload,
    ...(entry.codeCache && entry.codeCache.length > 0 ? { codeCache: entry.codeCache } : {}),
  };
}

function compress(data: Uint8Array, method: 'brotli' | 'gzip'): Buffer {
  if (method === 'gzip') return gzipSync(data, { level: 9 });
  return brotliCompressSync(data, {
    params: {
      [zlibConstants.BROTLI_PARAM_QUALITY]: 9,
      [zlibConstants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  });
}

/** Accumulates one section's payloads, aligned, storing identical payloads once. */
class SectionBuilder {
  private readonly chunks: Uint8Array[] = [];
  private readonly seen = new Map<string, number>();
  length = 0;

  add(payload: Uint8Array): number {
    if (payload.length === 0) return 0;
    const key = createHash('sha256').update(payload).digest('base64');
    const known = this.seen.get(key);
    if (known !== undefined) return known;
    const offset = this.length;
    this.chunks.push(payload);
    this.length = align(offset + payload.length);
    const pad = this.length - (offset + payload.length);
    if (pad) this.chunks.push(new Uint8Array(pad));
    this.seen.set(key, offset);
    return offset;
  }

  writeTo(out: Buffer, at: number): void {
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
  }
}

const DATA_SECTIONS: SectionId[] = [
  Section.sources,
  Section.json,
  Section.wasm,
  Section.addons,
  Section.assets,
  Section.codeCache,
  Section.paths,
];

function layout(pending: Pending[], meta: PackedMeta, resolutions: Buffer | undefined): Buffer {
  const count = pending.length;
  const entries = Buffer.alloc(count * ENTRY_RECORD_SIZE);
  const names = new SectionBuilderNoDedupe();
  const dirs = new SectionBuilder();
  const data = new Map<SectionId, SectionBuilder>(DATA_SECTIONS.map((id) => [id, new SectionBuilder()]));

  pending.forEach((p, i) => {
    const rec = i * ENTRY_RECORD_SIZE;
    const nameOffset = names.add(p.nameBytes);
    const sectionId = dataSectionFor(p.kind as never, p.flags);
    const section = sectionId === Section.dirs ? dirs : data.get(sectionId)!;
    let dataOffset = section.add(p.payload);
    let dataLength = p.payload.length;
    if (p.flags & Flag.scriptWrapped) {
      // The entry's range is the module's own bytes, inside its script text.
      dataOffset += SCRIPT_HEAD_BYTES.length;
      dataLength -= SCRIPT_HEAD_BYTES.length + SCRIPT_TAIL_BYTES.length;
    }
    const cacheOffset = p.codeCache ? data.get(Section.codeCache)!.add(p.codeCache) : 0;
    entries.writeUInt32LE(nameOffset, rec + E_NAME_OFFSET);
    entries.writeUInt32LE(p.nameBytes.length, rec + E_NAME_LENGTH);
    entries.writeUInt8(p.kind, rec + E_KIND);
    entries.writeUInt8(p.flags, rec + E_FLAGS);
    entries.writeUInt8(p.compression, rec + E_COMPRESSION);
    entries.writeUInt32LE(dataOffset, rec + E_DATA_OFFSET);
    entries.writeUInt32LE(dataLength, rec + E_DATA_LENGTH);
    entries.writeUInt32LE(p.size, rec + E_SIZE);
    entries.writeUInt32LE(cacheOffset, rec + E_CACHE_OFFSET);
    entries.writeUInt32LE(p.codeCache?.length ?? 0, rec + E_CACHE_LENGTH);
  });
  const metaBytes = encoder.encode(JSON.stringify(meta));

  // Sections present: the four index sections always, data sections only when non-empty.
  const plan: { id: SectionId; length: number; write: (out: Buffer, at: number) => void }[] = [
    { id: Section.entries, length: entries.length, write: (out, at) => out.set(entries, at) },
    { id: Section.names, length: names.length, write: (out, at) => names.writeTo(out, at) },
    { id: Section.dirs, length: dirs.length, write: (out, at) => dirs.writeTo(out, at) },
    { id: Section.meta, length: metaBytes.length, write: (out, at) => out.set(metaBytes, at) },
  ];
  for (const id of DATA_SECTIONS) {
    const builder = data.get(id)!;
    if (builder.length > 0) plan.push({ id, length: builder.length, write: (out, at) => builder.writeTo(out, at) });
  }
  // Outside the index, so that the checksum a start computes does not grow with it.
  if (resolutions) plan.push({ id: Section.resolutions, length: resolutions.length, write: (out, at) => out.set(resolutions, at) });

  const headerEnd = HEADER_SIZE + plan.length * SECTION_RECORD_SIZE;
  let cursor = align(headerEnd);
  let indexEnd = 0;
  const placed = plan.map((s) => {
    if (s.id >= Section.sources && indexEnd === 0) {
      indexEnd = cursor;
    }
    const offset = cursor;
    cursor = align(cursor + s.length);
    return { ...s, offset };
  });
  if (indexEnd === 0) indexEnd = cursor;
  const total = cursor;
  if (total > MAX_U32) throw new WriterError(`the packed resources would be ${total} bytes; the format's limit is 4 GiB`);

  const out = Buffer.alloc(total);
  out.set(MAGIC, 0);
  out.writeUInt32LE(FORMAT_VERSION, H_VERSION);
  out.writeUInt32LE(headerEnd, H_HEADER_END);
  out.writeUInt32LE(count, H_ENTRY_COUNT);
  out.writeUInt32LE(placed.length, H_SECTION_COUNT);
  out.writeUInt32LE(indexEnd, H_INDEX_END);
  out.writeUInt32LE(total, H_TOTAL_LENGTH);
  placed.forEach((s, k) => {
    const rec = HEADER_SIZE + k * SECTION_RECORD_SIZE;
    out.writeUInt32LE(s.id, rec);
    out.writeUInt32LE(s.offset, rec + 4);
    out.writeUInt32LE(s.length, rec + 8);
    s.write(out, s.offset);
  });
  seal(out, indexEnd);
  return out;
}

/**
 * Writes the three integrity fields of a blob whose other bytes are final. Each covers what was
 * written before it: the data hash, then the index hash (so a valid index vouches for the data hash),
 * then the index checksum (so the cheap check at every start also covers both hashes).
 */
export function seal(out: Buffer, indexEnd: number): void {
  createHash('sha256').update(out.subarray(indexEnd)).digest().copy(out, H_DATA_HASH);
  out.fill(0, H_CHECKSUM, H_INDEX_HASH + HASH_SIZE);
  createHash('sha256').update(out.subarray(0, indexEnd)).digest().copy(out, H_INDEX_HASH);
  out.writeUInt32LE(indexChecksum(out, indexEnd), H_CHECKSUM);
}

/** Names are concatenated without alignment or dedupe: every name is distinct. */
class SectionBuilderNoDedupe {
  private readonly chunks: Uint8Array[] = [];
  length = 0;
  add(payload: Uint8Array): number {
    const offset = this.length;
    this.chunks.push(payload);
    this.length += payload.length;
    return offset;
  }
  writeTo(out: Buffer, at: number): void {
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
  }
}
