/**
 * --exclude: files the user leaves out of the packed tree after collection, by globs of packed paths
 * (the names `oxpack inspect` lists, relative to the app root: "node_modules/**\/*.d.ts",
 * "**\/*.map", "node_modules/better-sqlite3/deps"). Packages are packed whole (collect.ts) so that
 * nothing they read by computed paths goes missing; this is the way to trim what the user knows their
 * app never reads (type declarations, source maps, C sources, docs, tests), which can be half of an
 * executable's size.
 *
 * A pattern that names a folder leaves out everything under it, as in a .gitignore. What the app is
 * known to load stays packed whatever the patterns say, with a warning: the files the trace reached
 * (its modules and the files it reads by literal paths) and every package.json (module resolution and
 * "type" need them). A pattern that matches nothing is reported, as an --assets pattern is.
 */
import { lstatSync } from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { plural } from '../units.js';
import type { Collected } from './collect.js';
import type { Diagnostic } from './diagnostics.js';

export interface ExcludePattern {
  glob: string;
  /** Where the pattern came from, for messages ("--exclude", "the config's \"exclude\""). */
  where: string;
}

export interface Excluded {
  /** Files and links left out, and the bytes they held. */
  files: number;
  bytes: number;
}

/**
 * Removes from `collected` the files and links that `patterns` match, and the folders left empty by
 * that; `loaded` are the files that stay whatever the patterns say (see above).
 */
export function excludeFiles(
  collected: Collected,
  patterns: readonly ExcludePattern[],
  loaded: ReadonlySet<string>,
  report: (d: Diagnostic) => void,
): Excluded {
  const result: Excluded = { files: 0, bytes: 0 };
  if (patterns.length === 0) return result;
  const { base } = collected;
  const matchers = patterns.map((p) => ({
    ...p,
    test: picomatch(p.glob.replace(/\/+$/, ''), { dot: true }),
    hits: 0,
    kept: [] as string[],
  }));
  const nameOf = (p: string): string => path.relative(base, p).split(path.sep).join('/');
  // The first pattern matching the path or one of the folders above it (inside the app root).
  const matching = (name: string): (typeof matchers)[number] | undefined => {
    for (let at = name.length; at > 0; at = name.lastIndexOf('/', at - 1)) {
      const prefix = name.slice(0, at);
      const found = matchers.find((m) => m.test(prefix));
      if (found) return found;
    }
    return undefined;
  };

  const emptied = new Set<string>();
  const leaveOut = (file: string, remove: () => void): void => {
    const name = nameOf(file);
    if (name.startsWith('../') || path.isAbsolute(name)) return;
    const m = matching(name);
    if (!m) return;
    m.hits++;
    if (loaded.has(file) || path.basename(file) === 'package.json') {
      m.kept.push(name);
      return;
    }
    result.files++;
    result.bytes += lstatSync(file, { throwIfNoEntry: false })?.size ?? 0;
    remove();
    emptied.add(path.dirname(file));
  };
  for (const file of [...collected.files.keys()]) leaveOut(file, () => collected.files.delete(file));
  for (const link of [...collected.links]) leaveOut(link, () => collected.links.delete(link));

  // Folders that held what was left out and now hold nothing (a folder a pattern named, or one all of
  // whose files it matched) go too; folders that were empty to begin with stay, as packed whole.
  const emptiedAbove = new Set<string>();
  for (const dir of emptied) for (let d = dir; isBelow(d, base) && !emptiedAbove.has(d); d = path.dirname(d)) emptiedAbove.add(d);
  const occupied = new Set<string>();
  const occupy = (p: string): void => {
    for (let d = path.dirname(p); isBelow(d, base) && !occupied.has(d); d = path.dirname(d)) occupied.add(d);
  };
  for (const file of collected.files.keys()) occupy(file);
  for (const link of collected.links) occupy(link);
  for (const dir of collected.dirs) if (!emptiedAbove.has(dir)) occupy(dir);
  for (const dir of emptiedAbove) if (!occupied.has(dir)) collected.dirs.delete(dir);

  for (const m of matchers) {
    if (m.hits === 0) {
      report({ severity: 'warning', code: 'exclude-empty', message: `${m.where} pattern "${m.glob}" matches no packed file` });
    } else if (m.kept.length > 0) {
      report({
        severity: 'warning',
        code: 'exclude-loaded',
        message:
          `${m.where} pattern "${m.glob}" matches ${plural(m.kept.length, 'file')} the app loads, packed anyway: ` +
          `${m.kept.slice(0, 3).join(', ')}${m.kept.length > 3 ? ', …' : ''}`,
      });
    }
  }
  return result;
}

function isBelow(p: string, dir: string): boolean {
  return p.startsWith(dir + path.sep);
}
