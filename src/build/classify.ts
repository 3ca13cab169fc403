/**
 * What kind of entry a file becomes, decided at build time as the target Node would decide it at run
 * time: .mjs and .cjs by name, .js by the nearest package.json "type" (or by its syntax where the
 * target detects module syntax), .json, .node and .wasm by extension, everything else an asset (but
 * a file without an extension that code loads: extensionlessHint).
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

/** How code loads a file: through require(), or through the ES module loader (import, the entry point). */
export type LoadedBy = 'require' | 'import';

/**
 * How a file without an extension that code loads parses, as the target's loaders decide (bin
 * scripts, yargs 17's `yargs/yargs`). The ES module loader, which also runs the entry point, follows
 * the package's "type", and so does require() from Node 26 on. Before 26, require() ignored the "type"
 * for such files: CommonJS, or what their syntax says where the target detects module syntax. So
 * yargs 17, CommonJS in a "type": "module" package, fails under node 26, and packed for 26 too.
 */
export function extensionlessHint(
  type: string | undefined,
  loadedBy: LoadedBy,
  target: { detectModule: boolean; extensionlessByType: boolean },
): ParseHint {
  if (loadedBy === 'import' || target.extensionlessByType) {
    if (type === 'module') return 'module';
    if (type === 'commonjs') return 'script';
  }
  return target.detectModule ? 'detect' : 'script';
}

/** A .ts, .mts or .cts file, not a declaration file: node runs these by stripping types; oxpack does not. */
export function isTypeScriptSource(path: string): boolean {
  return /(?<!\.d)\.[cm]?ts$/.test(path);
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
