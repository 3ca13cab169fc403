/**
 * Dependencies are packed package by package, like oxidized_importer's package resources: every
 * package the trace reaches plus its installed runtime dependencies, transitively, each with all of
 * its files, so that a package loading its own files by computed paths keeps working.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import fg from 'fast-glob';
import { nodeModulePaths } from '../resolver/lookup-paths.js';
import type { Diagnostic } from './diagnostics.js';
import type { DiskHost } from './disk-host.js';
import { Stat } from '../resolver/host.js';

const NM = `${sep}node_modules${sep}`;

/** The package folder ("…/node_modules/name" or "…/node_modules/@scope/name") holding `path`, if any. */
export function packageRootOf(path: string): string | undefined {
  const at = path.lastIndexOf(NM);
  if (at === -1) return undefined;
  const rest = path.slice(at + NM.length).split(sep);
  const depth = rest[0]?.startsWith('@') ? 2 : 1;
  if (rest.length <= depth) return rest.length === depth ? path : undefined;
  return path.slice(0, at + NM.length) + rest.slice(0, depth).join(sep);
}

/** The package name a package folder is installed under. */
export function packageNameOf(root: string): string {
  return root
    .slice(root.lastIndexOf(NM) + NM.length)
    .split(sep)
    .join('/');
}

interface Manifest {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

function readManifest(dir: string): Manifest | undefined {
  try {
    const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as unknown;
    return typeof json === 'object' && json !== null ? (json as Manifest) : undefined;
  } catch {
    return undefined;
  }
}

/** Finds where `name` is installed as seen from the package folder `from`, as Node's lookup would. */
function findInstalled(host: DiskHost, name: string, from: string): string | undefined {
  for (const nm of nodeModulePaths(from)) {
    const candidate = join(nm, ...name.split('/'));
    if (host.stat(candidate) === Stat.directory) return host.realpath(candidate);
  }
  return undefined;
}

/**
 * The installed packages that the package.json in `dir` names for run time: "dependencies", installed
 * "optionalDependencies" and, with `peers`, installed "peerDependencies"; a required one that is not
 * installed is a warning (`who` depends on it). External names are skipped.
 */
function installedDependencies(
  host: DiskHost,
  dir: string,
  external: ReadonlySet<string>,
  peers: boolean,
  who: (manifest: Manifest) => string,
): PackageClosure {
  const packages: string[] = [];
  const diagnostics: Diagnostic[] = [];
  const manifest = readManifest(dir);
  if (!manifest) return { packages, diagnostics };
  const optional = manifest.optionalDependencies ?? {};
  const names = [
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(optional),
    ...(peers ? Object.keys(manifest.peerDependencies ?? {}) : []),
  ];
  for (const name of new Set(names)) {
    if (external.has(name)) continue;
    const found = findInstalled(host, name, dir);
    if (found) packages.push(packageRootOf(found) ?? found);
    else if (manifest.dependencies && name in manifest.dependencies && !(name in optional)) {
      diagnostics.push({
        severity: 'warning',
        code: 'missing-dependency',
        file: join(dir, 'package.json'),
        message: `${who(manifest)} depends on "${name}", which is not installed`,
      });
    }
  }
  return { packages, diagnostics };
}

/**
 * The installed packages that the app's own package.json (in `dir`) names in "dependencies" and
 * "optionalDependencies": packed whole like those the trace reaches, because apps load many of them by
 * names no trace can see (an express view engine, a pino transport, a knex or sequelize dialect, a
 * babel preset), and what the app declares for run time should work packed as it does under node.
 * "devDependencies" are left out. A declared, required package that is not installed is a warning.
 */
export function declaredDependencies(host: DiskHost, dir: string, external: ReadonlySet<string>): PackageClosure {
  const declared = installedDependencies(host, dir, external, false, () => 'the app');
  return { packages: declared.packages.sort(), diagnostics: declared.diagnostics };
}

export interface PackageClosure {
  /** Canonical package folders, sorted. */
  packages: string[];
  diagnostics: Diagnostic[];
}

/**
 * Adds to the packages reached by the trace their runtime dependencies: "dependencies", installed
 * "optionalDependencies" and installed "peerDependencies", transitively. External names are skipped.
 */
export function packageClosure(host: DiskHost, reached: Iterable<string>, external: ReadonlySet<string>): PackageClosure {
  const seen = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  const queue = [...reached];
  while (queue.length > 0) {
    const dir = queue.pop()!;
    if (seen.has(dir)) continue;
    seen.add(dir);
    const deps = installedDependencies(host, dir, external, true, (m) => m.name ?? packageNameOf(dir));
    diagnostics.push(...deps.diagnostics);
    for (const root of deps.packages) if (!seen.has(root)) queue.push(root);
  }
  return { packages: [...seen].sort(), diagnostics };
}

export interface PackageListing {
  files: string[];
  /** Folders, so that empty ones exist in the packed tree too. */
  dirs: string[];
  /** Symbolic links, not followed here: the collector decides how each is packed. */
  links: string[];
}

/**
 * What node-gyp leaves in a package's build/ folder besides the addon, when the package was compiled
 * at install (a binding.gyp at its root): object files and static archives, the per-target folders
 * that hold them (obj.target, obj, .deps), Makefiles and the configuration it generated. Nothing
 * loads them at run time (the `bindings` package and node-gyp-build look for .node files in
 * build/Release, build/Debug and prebuilds), and they can be most of the package: better-sqlite3
 * 12 leaves 17 MB in build/, of which its addon is 2 MB.
 */
const NODE_GYP_LEFTOVERS = [
  'build/*/obj.target',
  'build/*/obj.target/**',
  'build/*/obj',
  'build/*/obj/**',
  'build/*/.deps',
  'build/*/.deps/**',
  'build/**/*.{o,a,mk,lib,exp,ilk,pdb,iobj,ipdb}',
  'build/**/{Makefile,*.Makefile,*.vcxproj,*.vcxproj.filters,*.sln}',
  'build/config.gypi',
];

/**
 * Everything in a package folder, without its nested node_modules (those are packages of their own)
 * and without node-gyp's build leftovers (NODE_GYP_LEFTOVERS).
 */
export function listPackage(root: string): PackageListing {
  const listing: PackageListing = { files: [], dirs: [], links: [] };
  const builtHere = statSync(join(root, 'binding.gyp'), { throwIfNoEntry: false })?.isFile() === true;
  const entries = fg.sync('**', {
    cwd: root,
    dot: true,
    onlyFiles: false,
    followSymbolicLinks: false,
    objectMode: true,
    ignore: ['**/node_modules', '**/node_modules/**', ...(builtHere ? NODE_GYP_LEFTOVERS : [])],
  });
  for (const entry of entries) {
    const path = join(root, entry.path);
    if (entry.dirent.isSymbolicLink()) listing.links.push(path);
    else if (entry.dirent.isDirectory()) listing.dirs.push(path);
    else if (entry.dirent.isFile()) listing.files.push(path);
  }
  if (builtHere) {
    // Folders of build/ that held only leftovers (build/deps of better-sqlite3: its Makefiles).
    const build = join(root, 'build') + sep;
    const occupied = new Set<string>();
    for (const file of [...listing.files, ...listing.links]) {
      for (let d = dirname(file); d.startsWith(build) && !occupied.has(d); d = dirname(d)) occupied.add(d);
    }
    listing.dirs = listing.dirs.filter((d) => !d.startsWith(build) || occupied.has(d));
  }
  listing.files.sort();
  listing.dirs.sort();
  listing.links.sort();
  return listing;
}
