/**
 * The finder: an index of packed resources, mounted at a virtual root, answering lookups from memory.
 * It is oxidized_importer's OxidizedFinder for Node: index a blob (indexBytes/indexFile), then
 * install() the hooks that make require, import and fs serve packed paths from it.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Kind, type PackedMeta } from '../format/layout.js';
import { type IndexOptions, PackedIndex } from '../format/reader.js';
import { installFinder } from './install.js';
import { cjsModule } from '../builtins.js';
import { debugLog, sinceStart } from './debug.js';
import { MOUNT, VirtualRoot } from './virtual-root.js';

export interface FinderOptions {
  /**
   * Folder that filesystem-relative resources are relative to. Default: the folder of the container
   * (the executable, or the resources file given to indexFile).
   */
  relativePathOrigin?: string;
  /** Absolute path the app root is mounted at. Default: "<container>/app". */
  virtualRoot?: string;
}

export type Lookup = { ok: true; index: number; name: string } | { ok: false; code: 'ENOENT' | 'ENOTDIR' | 'ELOOP' };

const MAX_LINK_HOPS = 40;

export class FinderError extends Error {
  readonly code = 'OXPACK_FINDER';
}

/**
 * Where the indexed bytes came from, so that an ES module hooks thread (Node before 22.15) can index
 * the same resources on its side.
 */
export type ResourceSource = { kind: 'sea' } | { kind: 'file'; file: string } | { kind: 'bytes'; bytes: Uint8Array };

/** The index and its lookups: all a hooks thread needs, without the hooks that install the finder. */
export class FinderCore {
  protected originPath: string | undefined;
  protected rootPath: string | undefined;
  protected packed: PackedIndex | undefined;
  private mounted: VirtualRoot | undefined;
  /** How to find these resources again from another thread. */
  source: ResourceSource | undefined;

  constructor(options: FinderOptions = {}) {
    if (options.relativePathOrigin !== undefined) {
      if (typeof options.relativePathOrigin !== 'string') throw new TypeError('relativePathOrigin must be a path string');
      this.originPath = path.resolve(options.relativePathOrigin);
    }
    if (options.virtualRoot !== undefined) {
      if (typeof options.virtualRoot !== 'string' || !path.isAbsolute(options.virtualRoot))
        throw new TypeError('virtualRoot must be an absolute path');
      this.rootPath = options.virtualRoot;
    }
  }

  /** Folder that filesystem-relative resources are found in. */
  get origin(): string {
    return this.originPath ?? path.dirname(process.execPath);
  }

  /** The virtual root the app is mounted at. */
  get root(): VirtualRoot {
    return (this.mounted ??= this.rootPath
      ? new VirtualRoot(this.rootPath, () => mountedInFile(this.rootPath!))
      : VirtualRoot.forContainer(process.execPath));
  }

  /** Indexes packed resources held in memory (not copied: the buffer must stay unchanged). */
  indexBytes(bytes: ArrayBuffer | ArrayBufferView, options?: IndexOptions): void {
    const index = PackedIndex.from(bytes, options);
    this.source ??= { kind: 'bytes', bytes: index.buffer };
    this.adopt(index);
  }

  /** Indexes a resources file; its folder becomes the default origin and "<file>/app" the default root. */
  indexFile(file: string, options?: IndexOptions): void {
    const abs = path.resolve(file);
    let bytes: Buffer;
    try {
      bytes = readFileSync(abs);
    } catch (err) {
      throw new FinderError(`cannot read resources file ${abs}: ${(err as Error).message}`);
    }
    const index = PackedIndex.from(bytes, options); // validated before the origin and root change
    this.source ??= { kind: 'file', file: abs };
    this.originPath ??= path.dirname(abs);
    if (this.rootPath === undefined) {
      this.rootPath = VirtualRoot.forContainer(abs).path;
      this.mounted = undefined;
    }
    this.adopt(index);
  }

  /** Takes a validated index; a finder that merges several (the library's Finder) overrides this. */
  protected adopt(index: PackedIndex): void {
    this.packed = index;
  }

  get index(): PackedIndex {
    if (!this.packed) throw new FinderError('no packed resources are indexed: call indexBytes() or indexFile() first');
    return this.packed;
  }

  get indexed(): boolean {
    return this.packed !== undefined;
  }

  get meta(): PackedMeta {
    return this.index.meta;
  }

  /** Absolute virtual path of the entry point recorded in the blob. */
  get entryPath(): string | undefined {
    const entry = this.index.meta.entry;
    return typeof entry === 'string' ? this.root.pathOf(entry) : undefined;
  }

  /**
   * Finds `name`, following symlinks in every component (and in the last one when `followLast`), as
   * stat (follow) and lstat (don't) do. Entry names are canonical, so a direct hit needs no walk.
   */
  resolveName(name: string, followLast = true): Lookup {
    const idx = this.index;
    const direct = idx.find(name);
    if (direct >= 0 && (!followLast || idx.kind(direct) !== Kind.symlink)) return { ok: true, index: direct, name };
    let parts = name === '' ? [] : name.split('/');
    let resolved: string[] = [];
    let hops = 0;
    for (let k = 0; k < parts.length; k++) {
      const candidate = resolved.length > 0 ? `${resolved.join('/')}/${parts[k]}` : parts[k]!;
      const i = idx.find(candidate);
      if (i < 0) return { ok: false, code: 'ENOENT' };
      const last = k === parts.length - 1;
      const kind = idx.kind(i);
      if (kind === Kind.symlink && (!last || followLast)) {
        if (++hops > MAX_LINK_HOPS) return { ok: false, code: 'ELOOP' };
        const target = joinLink(resolved, idx.linkTarget(i));
        if (target === undefined) return { ok: false, code: 'ENOENT' };
        parts = [...target, ...parts.slice(k + 1)];
        resolved = [];
        k = -1;
        continue;
      }
      if (!last && kind !== Kind.directory) return { ok: false, code: 'ENOTDIR' };
      resolved.push(parts[k]!);
    }
    const finalName = resolved.join('/');
    return { ok: true, index: idx.find(finalName), name: finalName };
  }

  /** resolveName for an absolute path; undefined when the path is not under the virtual root. */
  lookupPath(p: string, followLast = true): Lookup | undefined {
    if (!this.indexed) return undefined;
    const name = this.root.nameOf(p);
    return name === undefined ? undefined : this.resolveName(name, followLast);
  }

  /** Whether `p` names a packed module (CommonJS or ES) that can be run as a script. */
  isScript(p: string): boolean {
    const found = this.lookupPath(p);
    if (!found?.ok) return false;
    const kind = this.index.kind(found.index);
    return kind === Kind.commonjs || kind === Kind.module;
  }

  /** A file's bytes: from the blob (zero-copy when stored uncompressed) or from beside the container. */
  contents(i: number): Buffer {
    const idx = this.index;
    if (idx.isFilesystemRelative(i)) return readFileSync(path.join(this.origin, ...idx.relativePath(i).split('/')));
    return idx.contents(i);
  }

  /** Where a filesystem-relative entry lives on disk, or undefined for in-memory entries. */
  diskPath(i: number): string | undefined {
    const idx = this.index;
    return idx.isFilesystemRelative(i) ? path.join(this.origin, ...idx.relativePath(i).split('/')) : undefined;
  }
}

/**
 * The finder a program runs with: FinderCore plus install()/uninstall(), which make require, import and
 * fs serve packed paths, and run(), which starts the packed entry point.
 */
export class RuntimeFinder extends FinderCore {
  private uninstaller: (() => void) | undefined;
  /**
   * URL of the module a module.register() hooks thread loads (Node before 22.15): a data: URL inside
   * packed executables, the file in dist/templates when oxpack runs from its package.
   */
  esmHooksUrl: string | undefined;
  /**
   * Eval code that starts the runtime (dist/templates/main.cjs) in a worker thread of a packed script,
   * which installs a finder of its own there: from a packed executable's SEA assets, with their code
   * cache, or the runtime's source (runtime-script.ts). Without it, workers start as Node starts them.
   */
  workerRuntime: (() => string) | undefined;

  /**
   * Makes require(), import and fs serve packed paths from this finder. Idempotent; uninstall()
   * restores the hooks it replaced.
   */
  install(): void {
    if (this.uninstaller) return;
    this.index; // throws a clear error when nothing is indexed
    this.uninstaller = installFinder(this);
  }

  uninstall(): void {
    this.uninstaller?.();
    this.uninstaller = undefined;
  }

  get installed(): boolean {
    return this.uninstaller !== undefined;
  }

  /**
   * Installs the finder and runs the packed entry point (or another packed script, given by its
   * virtual path) as the main module, as `node script args` would: process.argv becomes
   * [node, <script's virtual path>, ...args].
   */
  run(args: readonly string[] = process.argv.slice(2), script: string | undefined = this.entryPath): unknown {
    const entry = script;
    if (entry === undefined) throw new FinderError('the packed resources name no entry point');
    this.install();
    debugLog('timing')?.(`finder installed at ${sinceStart().toFixed(1)} ms`);
    process.argv = [process.argv[0]!, entry, ...args];
    return (cjsModule as unknown as { _load(request: string, parent: null, isMain: boolean): unknown })._load(entry, null, true);
  }
}

/** Applies link text (relative to the link's folder `dir`) and returns the target's components. */
function joinLink(dir: string[], text: string): string[] | undefined {
  if (text.startsWith('/') || /^[a-zA-Z]:/.test(text)) return undefined;
  const out = [...dir];
  for (const part of text.split(/[\\/]/)) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) return undefined; // climbs out of the packed tree
      out.pop();
    } else out.push(part);
  }
  return out;
}

/**
 * Whether a root given as a path ("<file>/app": an executable's, a resources file's, handed to a worker
 * or a hooks thread) is mounted in that file, for VirtualRoot.besideRoot; not for a root the library's
 * virtualRoot names elsewhere.
 */
function mountedInFile(root: string): boolean {
  return path.basename(root) === MOUNT && statSync(path.dirname(root), { throwIfNoEntry: false })?.isFile() === true;
}
