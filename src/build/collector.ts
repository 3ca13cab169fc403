/**
 * ResourceCollector decides where each resource's data lives, as oxidized_importer's
 * OxidizedResourceCollector does: in memory (inside the packed blob) or filesystem-relative (a file
 * installed beside the executable or resources file, under a prefix, found at run time through the
 * finder's relativePathOrigin). oxidize() returns the packed entries and the files to install.
 */
import { invalidNameReason } from '../format/names.js';
import type { ResourceKind } from '../format/layout.js';
import type { WriterEntry } from '../format/writer.js';
import { OxpackError } from '../errors.js';
import { importCalls } from './parse.js';

export type ResourceLocation = 'in-memory' | 'filesystem-relative';

/** One file (or folder, or link) of the app, addressed by its path relative to the app root. */
export interface Resource {
  /** '/'-separated path relative to the app root, e.g. "node_modules/express/index.js". */
  name: string;
  kind: ResourceKind;
  /** File contents; for a symlink, the link text (relative to the link's folder). */
  data?: Uint8Array;
  executable?: boolean;
  /** CommonJS only: the code contains import(). Computed from the data when not given. */
  dynamicImport?: boolean;
  /** CommonJS only, with dynamicImport: every import() is an expression of its own code (parse.ts importCalls). */
  importExpressionsOnly?: boolean;
  /** V8 code cache for a module, produced by the target Node. */
  codeCache?: Uint8Array;
  /** Where the resource was read from, for reports. */
  sourcePath?: string;
}

export interface FileInstall {
  /** '/'-separated path relative to the origin (the executable's or the resources file's folder). */
  path: string;
  data: Uint8Array;
  executable: boolean;
}

export interface OxidizedResources {
  resources: WriterEntry[];
  fileInstalls: FileInstall[];
}

const LOCATIONS: readonly ResourceLocation[] = ['in-memory', 'filesystem-relative'];

interface Placed {
  resource: Resource;
  location: ResourceLocation;
  prefix: string;
}

export class ResourceCollector {
  readonly allowedLocations: readonly ResourceLocation[];
  private readonly placed = new Map<string, Placed>();

  constructor(options: { allowedLocations: readonly ResourceLocation[] }) {
    const allowed = options?.allowedLocations;
    if (!Array.isArray(allowed) || allowed.length === 0) {
      throw new TypeError(`allowedLocations must list at least one of ${LOCATIONS.map((l) => `"${l}"`).join(', ')}`);
    }
    for (const location of allowed) {
      if (!LOCATIONS.includes(location))
        throw new TypeError(`unknown resource location "${String(location)}"; use "in-memory" or "filesystem-relative"`);
    }
    this.allowedLocations = [...allowed];
  }

  /** Packs `resource` inside the blob. */
  addInMemory(resource: Resource): void {
    this.place(resource, 'in-memory', '');
  }

  /**
   * Installs `resource` as the file `<prefix>/<name>` beside the executable (or resources file); the
   * blob keeps only its index entry. Directories and symlinks cannot live outside the blob.
   */
  addFilesystemRelative(prefix: string, resource: Resource): void {
    const normalized = prefix.replace(/^\/+|\/+$/g, '');
    const reason = normalized === '' ? undefined : invalidNameReason(normalized);
    if (reason) throw new OxpackError('OXPACK_RESOURCE', `invalid filesystem-relative prefix "${prefix}": ${reason}`);
    if (resource.kind === 'directory' || resource.kind === 'symlink') {
      throw new OxpackError('OXPACK_RESOURCE', `resource "${resource.name}" is a ${resource.kind}; only files can be filesystem-relative`);
    }
    this.place(resource, 'filesystem-relative', normalized);
  }

  /** The in-memory resources of a kind (live objects: later steps attach code caches to them). */
  inMemory(kind: ResourceKind): Resource[] {
    return [...this.placed.values()].filter((p) => p.location === 'in-memory' && p.resource.kind === kind).map((p) => p.resource);
  }

  /** Whether a resource of this name has been added. */
  has(name: string): boolean {
    return this.placed.has(name);
  }

  get size(): number {
    return this.placed.size;
  }

  private place(resource: Resource, location: ResourceLocation, prefix: string): void {
    if (!this.allowedLocations.includes(location)) {
      throw new OxpackError(
        'OXPACK_RESOURCE',
        `resource "${resource.name}" cannot be placed ${location}: this collector allows only ${this.allowedLocations.join(', ')}`,
        {
          hint: `create the collector with allowedLocations including "${location}"`,
        },
      );
    }
    const reason = invalidNameReason(resource.name);
    if (reason) {
      throw new OxpackError('OXPACK_RESOURCE', `invalid resource name ${JSON.stringify(resource.name)}: ${reason}`, {
        hint: 'rename the file, or keep it out of the build (leave its package out with --external, or narrow the --assets glob)',
      });
    }
    const existing = this.placed.get(resource.name);
    if (existing && !(existing.resource.kind === 'directory' && resource.kind === 'directory')) {
      throw new OxpackError('OXPACK_RESOURCE', `resource "${resource.name}" was added twice`);
    }
    this.placed.set(resource.name, { resource, location, prefix });
  }

  /** The packed entries (sorted by name) and the files to install beside the executable. */
  oxidize(options: { compression?: 'brotli' | 'gzip' } = {}): OxidizedResources {
    const resources: WriterEntry[] = [];
    const fileInstalls: FileInstall[] = [];
    const names = [...this.placed.keys()].sort();
    for (const name of names) {
      const { resource, location, prefix } = this.placed.get(name)!;
      const data = resource.data ?? new Uint8Array(0);
      const entry: WriterEntry = { name, kind: resource.kind };
      if (resource.executable) entry.executable = true;
      if (mayCallImport(resource)) {
        entry.dynamicImport = true;
        if (resource.importExpressionsOnly) entry.importExpressionsOnly = true;
      }
      if (resource.codeCache) entry.codeCache = resource.codeCache;
      if (location === 'filesystem-relative') {
        const path = prefix ? `${prefix}/${name}` : name;
        entry.relativePath = path;
        entry.size = data.length;
        fileInstalls.push({ path, data, executable: Boolean(resource.executable) });
      } else {
        entry.data = data;
        // Per entry; the writer keeps an entry uncompressed when compression does not make it smaller.
        if (options.compression && resource.kind !== 'directory' && resource.kind !== 'symlink') entry.compression = options.compression;
      }
      resources.push(entry);
    }
    return { resources, fileInstalls };
  }
}

/**
 * Whether a CommonJS resource may call import() (parse.ts callsImport), decided once and kept on the
 * resource: the code-cache step and the writer both ask.
 */
export function mayCallImport(resource: Resource): boolean {
  if (resource.kind !== 'commonjs') return false;
  if (resource.dynamicImport === undefined) {
    const data = resource.data ?? new Uint8Array(0);
    const calls = importCalls(Buffer.from(data.buffer, data.byteOffset, data.length).toString('utf8'));
    resource.dynamicImport = calls !== 'none';
    resource.importExpressionsOnly = calls === 'expressions';
  }
  return resource.dynamicImport;
}
