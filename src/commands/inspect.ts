/**
 * `oxpack inspect <executable | resources file> [--json]`: the header and every entry of packed
 * resources. In an executable the blob is found by its magic bytes and must pass validation.
 */
import { FORMAT_VERSION, type PackedMeta, type ResourceKind } from '../format/layout.js';
import { formatSize } from '../units.js';
import { readPackedFile } from '../format/locate.js';

export interface InspectedEntry {
  path: string;
  kind: ResourceKind;
  /** "in-memory", or "filesystem-relative:<path relative to the executable's folder>". */
  location: string;
  /** Bytes of the file (a folder: its number of entries). */
  size: number;
  /** Bytes it takes in the blob. */
  storedSize: number;
  compression: string;
  executable: boolean;
  codeCache: number;
}

export interface InspectReport {
  file: string;
  container: 'executable' | 'resources';
  /** Where the blob starts in the file. */
  offset: number;
  blobSize: number;
  formatVersion: number;
  indexHash: string;
  dataHash: string;
  meta: PackedMeta;
  sections: Record<string, number>;
  totals: { files: number; folders: number; links: number; size: number; storedSize: number };
  entries: InspectedEntry[];
}

export function inspectFile(file: string): InspectReport {
  const { index, offset } = readPackedFile(file);
  const entries: InspectedEntry[] = [];
  const totals = { files: 0, folders: 0, links: 0, size: 0, storedSize: 0 };
  for (let i = 1; i < index.count; i++) {
    const kind = index.kindName(i);
    const relative = index.isFilesystemRelative(i);
    const entry: InspectedEntry = {
      path: index.name(i),
      kind,
      location: relative ? `filesystem-relative:${index.relativePath(i)}` : 'in-memory',
      size: index.size(i),
      storedSize: relative ? 0 : index.storedSize(i),
      compression: index.compression(i),
      executable: kind !== 'directory' && index.isExecutable(i),
      codeCache: index.codeCache(i)?.length ?? 0,
    };
    entries.push(entry);
    if (kind === 'directory') totals.folders++;
    else if (kind === 'symlink') totals.links++;
    else {
      totals.files++;
      totals.size += entry.size;
      totals.storedSize += entry.storedSize;
    }
  }
  return {
    file,
    container: offset === 0 ? 'resources' : 'executable',
    offset,
    blobSize: index.buffer.length,
    formatVersion: FORMAT_VERSION,
    indexHash: index.hash,
    dataHash: index.dataHash,
    meta: index.meta,
    sections: index.sectionSizes(),
    totals,
    entries,
  };
}

export function formatReport(r: InspectReport): string {
  const lines: string[] = [];
  const what =
    r.container === 'executable'
      ? `oxpack executable (resources at byte ${r.offset}, ${formatSize(r.blobSize)})`
      : `oxpack resources file (${formatSize(r.blobSize)})`;
  lines.push(`${r.file}: ${what}`);
  lines.push(
    `  format version ${r.formatVersion}, written by oxpack ${r.meta.oxpack} for Node ${r.meta.node ?? '?'} ${r.meta.platform ?? ''}`.trimEnd(),
  );
  lines.push(`  entry point: ${r.meta.entry ?? '(none)'}`);
  if (r.meta.external?.length) lines.push(`  external packages: ${r.meta.external.join(', ')}`);
  lines.push(`  index hash: ${r.indexHash}`);
  lines.push(`  data hash:  ${r.dataHash}`);
  lines.push(
    `  ${r.totals.files} files, ${r.totals.folders} folders, ${r.totals.links} links; ${formatSize(r.totals.storedSize)} stored for ${formatSize(r.totals.size)} of files`,
  );
  lines.push('');
  lines.push(`  ${'kind'.padEnd(12)} ${'size'.padStart(9)} ${'stored'.padStart(9)}  ${'location'.padEnd(11)} path`);
  for (const e of r.entries) {
    if (e.kind === 'directory') continue;
    const location = e.location === 'in-memory' ? (e.compression === 'none' ? 'memory' : e.compression) : 'beside';
    const suffix = e.location === 'in-memory' ? '' : `  -> ${e.location.slice('filesystem-relative:'.length)}`;
    lines.push(
      `  ${e.kind.padEnd(12)} ${formatSize(e.size).padStart(9)} ${formatSize(e.storedSize).padStart(9)}  ${location.padEnd(11)} ${e.path}${e.executable ? '*' : ''}${suffix}`,
    );
  }
  return lines.join('\n');
}
