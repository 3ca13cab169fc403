/**
 * The packed resources format, version 3: constants shared by the writer (build time) and the reader
 * (run time). docs/format.md is the specification; keep the two in step.
 *
 * Everything is little-endian. Offsets and lengths are u32: postject loads the whole executable into a
 * 32-bit WebAssembly memory, so a blob can never reach 4 GiB anyway.
 */

/** "\x89OXPACK\n": the high byte and the newline catch text-mode transfers, as PNG's magic does. */
export const MAGIC = Uint8Array.of(0x89, 0x4f, 0x58, 0x50, 0x41, 0x43, 0x4b, 0x0a);
export const FORMAT_VERSION = 3;

/** Fixed header; the section table follows it directly. */
export const HEADER_SIZE = 104;
export const H_MAGIC = 0;
export const H_VERSION = 8;
export const H_HEADER_END = 12; // end of header + section table
export const H_FLAGS = 16;
export const H_ENTRY_COUNT = 20;
export const H_SECTION_COUNT = 24;
export const H_INDEX_END = 28; // [0, indexEnd) is the index; data sections follow
export const H_TOTAL_LENGTH = 32;
export const H_CHECKSUM = 36; // MurmurHash3 of [0, indexEnd) with this field zeroed (checksum.ts): checked at every start
export const H_INDEX_HASH = 40; // SHA-256 of [0, indexEnd) with this field and the checksum zeroed (covers the data hash)
export const H_DATA_HASH = 72; // SHA-256 of [indexEnd, totalLength)
export const HASH_SIZE = 32;

export const SECTION_RECORD_SIZE = 16; // u32 id, u32 offset, u32 length, u32 reserved
export const ENTRY_RECORD_SIZE = 32;
export const ALIGN = 8;

/** Entry record fields (byte offsets inside one ENTRY_RECORD_SIZE record). */
export const E_NAME_OFFSET = 0;
export const E_NAME_LENGTH = 4;
export const E_KIND = 8;
export const E_FLAGS = 9;
export const E_COMPRESSION = 10;
export const E_RESERVED = 11;
export const E_DATA_OFFSET = 12;
export const E_DATA_LENGTH = 16;
export const E_SIZE = 20;
export const E_CACHE_OFFSET = 24;
export const E_CACHE_LENGTH = 28;

/**
 * Entry kinds. The module format is decided at build time (the runtime never walks up looking for a
 * package.json "type"), so CommonJS and ES modules are distinct kinds.
 */
export const Kind = {
  directory: 1,
  commonjs: 2,
  module: 3,
  json: 4,
  packageJson: 5,
  wasm: 6,
  addon: 7,
  asset: 8,
  symlink: 9,
} as const;
export type KindCode = (typeof Kind)[keyof typeof Kind];

export type ResourceKind = 'directory' | 'commonjs' | 'module' | 'json' | 'package.json' | 'wasm' | 'addon' | 'asset' | 'symlink';

export const KIND_CODES: Record<ResourceKind, KindCode> = {
  directory: Kind.directory,
  commonjs: Kind.commonjs,
  module: Kind.module,
  json: Kind.json,
  'package.json': Kind.packageJson,
  wasm: Kind.wasm,
  addon: Kind.addon,
  asset: Kind.asset,
  symlink: Kind.symlink,
};

export const KIND_NAMES: readonly (ResourceKind | undefined)[] = [
  undefined,
  'directory',
  'commonjs',
  'module',
  'json',
  'package.json',
  'wasm',
  'addon',
  'asset',
  'symlink',
];

export const Flag = {
  /** stat() reports the executable bits; file installs are written 0755. */
  executable: 1,
  /** The data is not in the blob: the entry's data is a UTF-8 path relative to the finder's origin. */
  filesystemRelative: 2,
  /**
   * A CommonJS module whose code contains an import() expression. Node 20-22.14 start the ES module
   * hooks thread (costly) only for ES modules and for code flagged so.
   */
  dynamicImport: 4,
  /**
   * Set with dynamicImport when every import() of the module is an import() expression in its own
   * code (none in code it builds from strings with Function or eval): on Node 20-22.14 the runtime can
   * then start the hooks thread at the first import() call instead of when the module loads.
   */
  importExpressionsOnly: 8,
  /**
   * A CommonJS module stored inside the text it compiles as: SCRIPT_HEAD directly before its data and
   * SCRIPT_TAIL directly after (in its section, outside the entry's own range). The runtime compiles
   * that one view of the blob; otherwise it copies the module into a new buffer between the two first,
   * which cost tsc --version about 2.5 ms of its start (6 MB of fresh memory) and ESLint about 1 ms.
   */
  scriptWrapped: 16,
} as const;
export const KNOWN_FLAGS = Flag.executable | Flag.filesystemRelative | Flag.dynamicImport | Flag.importExpressionsOnly | Flag.scriptWrapped;

/**
 * A CommonJS module's script text is SCRIPT_HEAD + its source + SCRIPT_TAIL: a function expression
 * of Node's five module parameters whose body starts on the second line (compiled with line offset
 * -1, so that stack traces show the file's own lines and columns; runtime/code-cache.ts).
 */
export const SCRIPT_HEAD = '(function (exports, require, module, __filename, __dirname) {\n';
export const SCRIPT_TAIL = '\n})';

export const Compression = { none: 0, brotli: 1, gzip: 2 } as const;
export type CompressionCode = (typeof Compression)[keyof typeof Compression];
export type CompressionName = 'none' | 'brotli' | 'gzip';
export const COMPRESSION_NAMES: readonly CompressionName[] = ['none', 'brotli', 'gzip'];

/**
 * Section ids. Ids below 16 live in the index region, 16 and up in the data region. A reader refuses
 * an unknown id below 128 and skips one from 128 up, so optional sections can be added later without
 * a version bump.
 */
export const Section = {
  entries: 1,
  names: 2,
  dirs: 3,
  meta: 4,
  sources: 16,
  json: 17,
  wasm: 18,
  addons: 19,
  assets: 20,
  codeCache: 21,
  paths: 22,
  /** Optional, in the data region: build-time answers to literal require() and import specifiers (resolutions.ts). */
  resolutions: 128,
} as const;
export type SectionId = (typeof Section)[keyof typeof Section];
export const FIRST_DATA_SECTION = 16;
export const FIRST_OPTIONAL_SECTION = 128;

export const SECTION_NAMES: Record<number, string> = {
  1: 'entries',
  2: 'names',
  3: 'dirs',
  4: 'meta',
  16: 'sources',
  17: 'json',
  18: 'wasm',
  19: 'addons',
  20: 'assets',
  21: 'code-cache',
  22: 'paths',
  128: 'resolutions',
};

/** Where the data of an in-memory entry of each kind is stored. */
export function dataSectionFor(kind: KindCode, flags: number): SectionId {
  if (flags & Flag.filesystemRelative) return Section.paths;
  switch (kind) {
    case Kind.directory:
      return Section.dirs;
    case Kind.commonjs:
    case Kind.module:
      return Section.sources;
    case Kind.json:
    case Kind.packageJson:
      return Section.json;
    case Kind.wasm:
      return Section.wasm;
    case Kind.addon:
      return Section.addons;
    case Kind.symlink:
      return Section.paths;
    default:
      return Section.assets;
  }
}

export function align(n: number): number {
  return (n + (ALIGN - 1)) & ~(ALIGN - 1);
}

/** The metadata stored in the meta section (JSON). */
export interface PackedMeta {
  /** oxpack version that wrote the blob. */
  oxpack: string;
  /** process.version of the Node the blob was built for, e.g. "v20.20.2". */
  node?: string;
  /** "<os>-<arch>" of the target, e.g. "linux-x64". */
  platform?: string;
  /** Name of the entry point, relative to the app root. */
  entry?: string;
  /** Bare specifiers resolved from the real node_modules beside the executable at run time. */
  external?: string[];
  /**
   * The executable refuses to start when NODE_OPTIONS would load code into it or open a debugger
   * (--require, --import, --inspect...): set for lines that cannot be told to ignore NODE_OPTIONS.
   */
  guardNodeOptions?: boolean;
  /**
   * Make V8 code caches of CommonJS modules at the end of the second start and keep them in the user's
   * cache folder (they hold every function that start compiled; Node 20's V8 cannot use caches made
   * at build time under another file name at all).
   */
  localCodeCache?: boolean;
  /** Check the SHA-256 of all data (not only of the index) at every start. */
  verifyData?: boolean;
  /**
   * With a resolutions section: the conditions its answers were worked out under, joined by commas,
   * for require() (the answers for CommonJS modules) and for import (those for ES modules). A runtime
   * whose conditions differ (--conditions, --no-addons) resolves those requests itself.
   */
  resolvedWith?: { require?: string; import?: string };
  [key: string]: unknown;
}

/** Thrown by the reader for every malformed blob; never anything else. */
export class FormatError extends Error {
  readonly code = 'OXPACK_BAD_FORMAT';
  constructor(message: string) {
    super(message);
    this.name = 'FormatError';
  }
}
