/**
 * Files that a framework finds by a convention declared in the app's package.json, which no trace can
 * see: oclif lists the folder its "commands" names and loads each file in it, and loads its "hooks" by
 * path. They become asset patterns, whose scripts the trace follows leniently like any asset's.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';
import type { AssetPattern } from './collect.js';

const SCRIPT_EXTENSIONS = ['', '.js', '.cjs', '.mjs'];

export function conventionAssets(projectRoot: string): AssetPattern[] {
  let pkg: { oclif?: unknown } | null;
  try {
    pkg = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { oclif?: unknown } | null;
  } catch {
    return []; // no package.json, or one that config.ts already reported
  }
  const oclif = pkg?.oclif;
  if (typeof oclif !== 'object' || oclif === null) return [];
  const { commands, hooks } = oclif as { commands?: unknown; hooks?: unknown };
  const out: AssetPattern[] = [];
  const addPath = (target: unknown, where: string): void => {
    const glob = typeof target === 'string' ? globFor(projectRoot, target) : undefined;
    if (glob) out.push({ glob, from: projectRoot, where });
  };
  // "./dist/commands", or { strategy: 'pattern' | 'explicit' | 'single', target }
  addPath(
    typeof commands === 'object' && commands !== null ? (commands as { target?: unknown }).target : commands,
    'package.json "oclif.commands"',
  );
  if (typeof hooks === 'object' && hooks !== null) {
    for (const value of Object.values(hooks)) {
      for (const hook of Array.isArray(value) ? value : [value]) {
        addPath(typeof hook === 'object' && hook !== null ? (hook as { target?: unknown }).target : hook, 'package.json "oclif.hooks"');
      }
    }
  }
  // Written by `oclif manifest`; read, when present, instead of loading every command.
  addPath('oclif.manifest.json', 'oclif.manifest.json');
  return out;
}

/** A glob for what a path names: the folder's files, or the file (written with or without its extension). */
function globFor(root: string, target: string): string | undefined {
  const full = path.resolve(root, target);
  const rel = path.relative(root, full);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const escaped = fg.escapePath(rel.split(path.sep).join('/'));
  for (const ext of SCRIPT_EXTENSIONS) {
    const stat = statSync(full + ext, { throwIfNoEntry: false });
    if (stat?.isDirectory() && ext === '') return `${escaped}/**`;
    if (stat?.isFile()) return escaped + ext;
  }
  return undefined;
}
