/**
 * The library's Finder: the runtime finder plus oxidized_importer's in-process resource API
 * (addResource, addResources, indexedResources, serializeIndexedResources). Kept out of the runtime
 * that packed executables load, which never adds resources and so never needs the writer.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type PackedMeta } from '../format/layout.js';
import { invalidNameReason } from '../format/names.js';
import { PackedIndex } from '../format/reader.js';
import { serializeResources, type WriterEntry } from '../format/writer.js';
import { FinderError, type FinderOptions, RuntimeFinder } from '../runtime/finder.js';
import { workerSourceCode } from '../runtime/runtime-script.js';
import { oxpackVersion } from '../version.js';

/** A packed entry as oxidize() returns it and indexedResources() gives it back. */
export type PackedResource = WriterEntry;

export class Finder extends RuntimeFinder {
  private readonly pending = new Map<string, PackedResource>();
  private pendingMeta: Partial<PackedMeta> = {};

  constructor(options?: FinderOptions) {
    super(options);
    // The module.register() hooks thread (Node before 22.15) loads the bundled hooks module beside us.
    this.esmHooksUrl = new URL('../templates/esm-hooks.mjs', import.meta.url).href;
    // Worker threads of packed scripts start with the runtime entry, which sits beside it.
    const runtimeFile = fileURLToPath(new URL('../templates/main.cjs', import.meta.url));
    this.workerRuntime = () => workerSourceCode(readFileSync(runtimeFile, 'utf8'), runtimeFile);
  }

  /**
   * Adds resources (from ResourceCollector.oxidize(), or built by hand). A resource replaces any indexed
   * one of the same name, whole. Resources are added before install(): adding code to a running
   * finder would change modules under a program that already loaded some of them.
   */
  addResource(resource: PackedResource): void {
    if (this.installed) throw new FinderError('resources cannot be added to an installed finder: add them before install()');
    if (typeof resource !== 'object' || resource === null || typeof resource.name !== 'string' || typeof resource.kind !== 'string') {
      throw new TypeError('a resource is an object with at least a name and a kind');
    }
    const reason = invalidNameReason(resource.name);
    if (reason) throw new FinderError(`invalid resource name ${JSON.stringify(resource.name)}: ${reason}`);
    this.pending.set(resource.name, { ...resource });
  }

  addResources(resources: Iterable<PackedResource>): void {
    for (const r of resources) this.addResource(r);
  }

  /** Indexing a second blob merges it: its entries replace those of the same name. */
  protected override adopt(incoming: PackedIndex): void {
    if (!this.packed && this.pending.size === 0) return super.adopt(incoming);
    this.source = undefined; // merged: the hooks thread gets the merged bytes (see index)
    this.pendingMeta = { ...this.pendingMeta, ...incoming.meta };
    this.addResources(decode(incoming));
  }

  /** Metadata to write with the resources: the entry point above all ({ entry: 'main.js' }). */
  setMeta(meta: Partial<PackedMeta>): void {
    this.pendingMeta = { ...this.pendingMeta, ...meta };
  }

  override get indexed(): boolean {
    return this.packed !== undefined || this.pending.size > 0;
  }

  override get index(): PackedIndex {
    if (this.pending.size > 0 || Object.keys(this.pendingMeta).length > 0) this.flush();
    return super.index;
  }

  /** Copies of every indexed resource, sorted by name (changing them changes nothing here). */
  indexedResources(): PackedResource[] {
    return this.indexed ? decode(this.index) : [];
  }

  /** The indexed resources as a packed blob (docs/format.md), deterministic. */
  serializeIndexedResources(meta: Partial<PackedMeta> = {}): Buffer {
    const current = this.indexed ? this.index.meta : { oxpack: oxpackVersion() };
    return serializeResources(this.indexedResources(), { ...current, ...meta, oxpack: oxpackVersion() });
  }

  /** Folds added resources into one index: the indexed ones, replaced name by name. */
  private flush(): void {
    const merged = new Map<string, PackedResource>();
    if (this.packed) for (const r of decode(this.packed)) merged.set(r.name, r);
    for (const [name, r] of this.pending) {
      if (r.kind === 'commonjs' && r.dynamicImport === undefined && r.data) {
        // The text test only (this module stays free of the parser, for oxpack/runtime): it may flag
        // a module that mentions import( in a comment, which costs start-up time on old lines, never
        // correctness. The CLI's build tokenizes (build/parse.ts callsImport).
        r.dynamicImport = /\bimport\s*\(/.test(Buffer.from(r.data.buffer, r.data.byteOffset, r.data.length).toString('latin1'));
      }
      merged.set(name, r);
    }
    const meta = { oxpack: oxpackVersion(), ...this.packed?.meta, ...this.pendingMeta };
    this.pending.clear();
    this.pendingMeta = {};
    this.packed = PackedIndex.from(serializeResources(merged.values(), meta));
    this.source = { kind: 'bytes', bytes: this.packed.buffer };
  }
}

/** Every entry of an index as a resource, with its data copied out of the blob. */
function decode(index: PackedIndex): PackedResource[] {
  const out: PackedResource[] = [];
  for (let i = 1; i < index.count; i++) {
    const kind = index.kindName(i);
    const r: PackedResource = { name: index.name(i), kind };
    if (index.isExecutable(i) && kind !== 'directory') r.executable = true;
    if (index.callsImport(i)) r.dynamicImport = true;
    if (kind === 'directory') {
      // folders are rebuilt from their children; an empty one is kept by its own entry
    } else if (index.isFilesystemRelative(i)) {
      r.relativePath = index.relativePath(i);
      r.size = index.size(i);
    } else {
      r.data = Buffer.from(index.contents(i));
      const compression = index.compression(i);
      if (compression !== 'none') r.compression = compression;
    }
    const cache = index.codeCache(i);
    if (cache) r.codeCache = Buffer.from(cache);
    out.push(r);
  }
  return out;
}
