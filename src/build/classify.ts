/**
 * What kind of entry a file becomes, decided at build time as the target Node would decide it at run
 * time: .mjs and .cjs by name, .js by the nearest package.json "type" (or by its syntax where the
 * target detects module syntax), .json, .node and .wasm by extension, everything else an asset.
 */
import { basename, extname } from 'node:path';
import type { ResourceKind } from '../format/layout.js';
import { findPackageScope } from '../resolver/scope.js';
import type { DiskHost } from './disk-host.js';
import { findReferences } from './parse.js';

/** How to parse a .js/.cjs/.mjs file: as a script, as a module, or detect it from its syntax. */
export type ParseHint = 'script' | 'module' | 'detect';

export function parseHintFor(path: string, host: DiskHost, detectModule: boolean): ParseHint | undefined {
  const ext = extname(path);
  if (ext === '.mjs') return 'module';
  if (ext === '.cjs') return 'script';
  if (ext !== '.js') return undefined;
  const type = findPackageScope(host, path)?.type;
  if (type === 'module') return 'module';
  if (type === 'commonjs' || !detectModule) return 'script';
  return 'detect';
}

/** Kind by file name alone; JS files that need their syntax looked at come back as undefined. */
export function kindByName(path: string, host: DiskHost, detectModule: boolean): ResourceKind | undefined {
  const name = basename(path);
  if (name === 'package.json') return 'package.json';
  const hint = parseHintFor(path, host, detectModule);
  if (hint === 'module') return 'module';
  if (hint === 'script') return 'commonjs';
  if (hint === 'detect') return undefined;
  switch (extname(name)) {
    case '.json':
      return 'json';
    case '.node':
      return 'addon';
    case '.wasm':
      return 'wasm';
    default:
      return 'asset';
  }
}

/**
 * An untyped .js file is an ES module when it does not parse as a script but parses as a module.
 * Files without any of the words that ESM syntax needs are scripts without parsing them.
 */
export function detectedKind(source: string): 'commonjs' | 'module' {
  if (!/\b(?:import|export|await)\b/.test(source)) return 'commonjs';
  return findReferences(source, 'detect').syntax === 'module' ? 'module' : 'commonjs';
}
