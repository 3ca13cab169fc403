/**
 * Source maps of packed modules, for Node's own mapping of stack traces (--enable-source-maps,
 * process.setSourceMapsEnabled). Node reads a module's map file with an fs function it took at
 * start-up on Node 22+, before the fs overlay was installed, so it cannot read a packed map file:
 * a module whose map it should use gets the map inlined, as a data: URL, which needs no read.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The last line's source map comment (the build packs the file it names: build/trace.ts). */
export const SOURCE_MAPPING_URL = /\/\/[#@] sourceMappingURL=([^\s'"]+)\s*$/;

export function sourceMapsEnabled(): boolean {
  return (process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled === true;
}

/** Whether a module's last line looks like a `//# sourceMappingURL=` comment (cheap: asked only with source maps on). */
export function namesSourceMap(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .subarray(Math.max(0, bytes.byteLength - 512))
    .includes('sourceMappingURL=');
}

/**
 * A module's source with its source map file appended inline (the last such comment is the one that
 * counts). The map's sources, relative to the map file's folder, are made absolute first, as Node
 * makes them. Unchanged when the comment names no file or the file is no map: unmapped, as under node.
 */
export function withInlineSourceMap(source: string, filename: string): string {
  const url = SOURCE_MAPPING_URL.exec(source.slice(-512))?.[1];
  if (url === undefined || url.includes(':')) return source; // inline already, or not a file
  try {
    const mapPath = path.resolve(path.dirname(filename), decodeURIComponent(url));
    const map = JSON.parse(fs.readFileSync(mapPath, 'utf8')) as { sources?: unknown; sourceRoot?: unknown };
    const base = pathToFileURL(mapPath);
    const root = typeof map.sourceRoot === 'string' && map.sourceRoot !== '' ? map.sourceRoot.replace(/\/?$/, '/') : '';
    if (Array.isArray(map.sources)) map.sources = map.sources.map((s) => (typeof s === 'string' ? new URL(root + s, base).href : s));
    delete map.sourceRoot;
    return `${source}\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}`;
  } catch {
    return source;
  }
}
