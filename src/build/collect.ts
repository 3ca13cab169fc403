/**
 * Gathers everything the executable carries and lays it out under one root folder: the traced files,
 * every file of the packages they reach (with their dependencies), the package.json of each of the
 * app's package scopes, and the assets. Modules appear at their real paths, as Node loads them; assets
 * appear where the globs found them; symbolic links are kept when they point at something packed and
 * replaced by a copy of their target otherwise, so a link never widens the tree beyond the app.
 */
import { lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';
import { OxpackError } from '../errors.js';
import type { ResourceKind } from '../format/layout.js';
import { findPackageScope } from '../resolver/scope.js';
import { detectedKind, kindByName } from './classify.js';
import type { ResourceCollector } from './collector.js';
import type { Diagnostic } from './diagnostics.js';
import type { DiskHost } from './disk-host.js';
import { declaredDependencies, listPackage, packageClosure, packageRootOf } from './packages.js';
import { SENTINEL_FUSE } from './sea.js';
import type { TargetInfo } from './target.js';
import type { TraceResult } from './trace.js';

export interface AssetPattern {
  glob: string;
  /** Folder the glob is relative to. */
  from: string;
  /** Where the pattern came from, for messages. */
  where: string;
}

export interface CollectInput {
  traced: TraceResult;
  host: DiskHost;
  target: TargetInfo;
  external: ReadonlySet<string>;
  assets: AssetPattern[];
  /** The output path: never packed, even when a glob matches it. */
  output: string;
  report: (d: Diagnostic) => void;
}

export interface Collected {
  /** Files by the path they appear at, with the kind the trace decided (if it reached them). */
  files: Map<string, { kind?: ResourceKind }>;
  dirs: Set<string>;
  /** Symbolic links by their own path. */
  links: Set<string>;
  /** Canonical package folders packed whole. */
  packages: string[];
  /** The folder every packed path is relative to (the app root of the packed tree). */
  base: string;
}

export function collectFiles(input: CollectInput): Collected {
  const { traced, host, report } = input;
  const files = new Map<string, { kind?: ResourceKind }>();
  const dirs = new Set<string>();
  const links = new Set<string>();
  const addFile = (file: string, kind?: ResourceKind): void => {
    const known = files.get(file);
    if (!known) files.set(file, kind ? { kind } : {});
    else if (kind && !known.kind) known.kind = kind;
  };

  for (const [file, kind] of traced.files) addFile(file, kind);

  // The package.json of every scope the app's own files live in: "type", "imports", the package name.
  const scopes = new Set<string>();
  for (const file of traced.files.keys()) {
    if (packageRootOf(file)) continue;
    const scope = findPackageScope(host, file);
    if (scope) {
      addFile(path.join(scope.dir, 'package.json'));
      scopes.add(scope.dir);
    }
  }

  const reached = new Set<string>();
  for (const file of traced.files.keys()) {
    const root = packageRootOf(file);
    if (root) reached.add(root);
  }
  // And what those package.json files declare for run time, reached or not (declaredDependencies).
  for (const scope of scopes) {
    const declared = declaredDependencies(host, scope, input.external);
    declared.diagnostics.forEach(report);
    declared.packages.forEach((p) => reached.add(p));
  }
  const closure = packageClosure(host, reached, input.external);
  closure.diagnostics.forEach(report);
  for (const pkg of closure.packages) {
    const listing = listPackage(pkg);
    listing.files.forEach((f) => addFile(f));
    listing.dirs.forEach((d) => dirs.add(d));
    listing.links.forEach((l) => links.add(l));
    dirs.add(pkg);
  }

  for (const { glob, from, where } of input.assets) {
    const matches = globAssets(glob, from);
    let count = 0;
    for (const match of matches) {
      const file = path.resolve(match);
      if (file === input.output) continue;
      // lstat: fast-glob describes a followed link by its target.
      const st = lstatSync(file, { throwIfNoEntry: false });
      if (st?.isSymbolicLink()) {
        // A linked folder is walked by the glob and its files land under the link's path; a linked
        // file is decided below, once we know what gets packed.
        if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) continue;
        links.add(file);
        count++;
      } else if (st?.isFile()) {
        addFile(file);
        count++;
      }
    }
    if (count === 0)
      report({ severity: 'warning', code: 'assets-empty', message: `${where} pattern "${glob}" matches no files (relative to ${from})` });
  }
  for (const asset of traced.assets) {
    if (statSync(asset).isDirectory()) {
      dirs.add(asset);
      for (const m of fg.sync('**', { cwd: asset, absolute: true, onlyFiles: true, dot: true, ignore: ['**/node_modules/**'] })) {
        const file = path.resolve(m);
        if (file !== input.output) addFile(file);
      }
    } else if (asset !== input.output) addFile(asset);
  }
  if (files.has(input.output)) {
    throw new OxpackError('OXPACK_OUTPUT', `the output ${input.output} is a file the app packs: writing it would destroy an input`, {
      hint: 'choose another output path with -o',
    });
  }

  const base = commonAncestor([...files.keys(), ...dirs]);
  // Links met while resolving (pnpm and workspace layouts) matter only inside the packed tree.
  for (const link of host.links.keys()) if (isInside(link, base)) links.add(link);
  return { files, dirs, links, packages: closure.packages, base };
}

export interface ResourceStats {
  /** Entry names whose content holds Node's SEA fuse string. */
  fused: string[];
  /** Files and bytes per package folder. */
  packageBytes: Map<string, { files: number; bytes: number }>;
}

/**
 * Where a packed file's data goes: undefined keeps it inside the blob, a prefix installs it beside the
 * executable under that folder (the collector's filesystem-relative location).
 */
export type Placement = (name: string, kind: ResourceKind) => string | undefined;

/** Reads every collected file into `collector`, named relative to the base, placed by `place`. */
export function addResources(
  collected: Collected,
  collector: ResourceCollector,
  host: DiskHost,
  target: TargetInfo,
  report: (d: Diagnostic) => void,
  place: Placement = () => undefined,
): ResourceStats {
  const { files, dirs, links, base } = collected;
  const nameOf = (p: string): string => path.relative(base, p).split(path.sep).join('/');
  const kindOf = (file: string, data: Buffer): ResourceKind => {
    const kind = kindByName(file, host, target.detectModule) ?? detectedKind(data.toString('utf8'));
    return kind === 'package.json' && !isJson(data) ? 'asset' : kind;
  };
  const stats: ResourceStats = { fused: [], packageBytes: new Map() };

  const addFile = (name: string, file: string, known?: ResourceKind): void => {
    let data: Buffer;
    let mode: number;
    try {
      const st = statSync(file);
      if (st.size > MAX_FILE_SIZE) {
        throw new OxpackError(
          'OXPACK_TOO_LARGE',
          `${file} is ${(st.size / 2 ** 30).toFixed(1)} GiB: too large to pack (at most 2 GiB per file)`,
          {
            hint: 'leave it out of the build and ship it beside the executable yourself; the app can read it by a path relative to process.execPath',
          },
        );
      }
      data = readFileSync(file);
      mode = st.mode;
    } catch (err) {
      if (err instanceof OxpackError) throw err;
      throw new OxpackError('OXPACK_READ', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
        hint: 'the file changed or vanished during the build, or is not readable; fix it and build again',
        cause: err,
      });
    }
    if (data.includes(SENTINEL_FUSE)) stats.fused.push(name);
    const resource = { name, kind: known ?? kindOf(file, data), data, executable: (mode & 0o111) !== 0, sourcePath: file };
    const prefix = place(name, resource.kind);
    if (prefix === undefined) collector.addInMemory(resource);
    else collector.addFilesystemRelative(prefix, resource);
    const pkg = packageRootOf(file);
    if (pkg) {
      const entry = stats.packageBytes.get(pkg) ?? { files: 0, bytes: 0 };
      entry.files++;
      entry.bytes += data.length;
      stats.packageBytes.set(pkg, entry);
    }
  };

  for (const file of [...files.keys()].sort()) addFile(nameOf(file), file, files.get(file)!.kind);
  for (const dir of dirs) {
    const name = nameOf(dir);
    if (!collector.has(name)) collector.addInMemory({ name, kind: 'directory' });
  }

  // Folders holding packed files: a link to one of them stays a link (a linked node_modules folder
  // too, whose packages are packed folders, so their parents are added with them).
  const packedDirs = new Set<string>();
  const addWithParents = (dir: string): void => {
    for (let d = dir; isInside(d, base) && !packedDirs.has(d); d = path.dirname(d)) packedDirs.add(d);
  };
  for (const dir of dirs) addWithParents(dir);
  for (const file of files.keys()) addWithParents(path.dirname(file));
  for (const link of [...links].sort()) {
    const name = nameOf(link);
    if (collector.has(name) || !lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink()) continue;
    let real: string;
    try {
      real = realpathSync(link);
    } catch {
      report({ severity: 'warning', code: 'broken-link', file: link, message: 'this symbolic link points at nothing; left out' });
      continue;
    }
    if (isInside(real, base) && (files.has(real) || packedDirs.has(real))) {
      collector.addInMemory({
        name,
        kind: 'symlink',
        data: Buffer.from(path.relative(path.dirname(link), real).split(path.sep).join('/')),
      });
    } else if (statSync(real).isFile()) {
      addFile(name, real); // a link to something not packed: its content, at the link's place
    } else {
      report({
        severity: 'warning',
        code: 'outside-link',
        file: link,
        message: `symbolic link to the folder ${real}, which is not packed; left out`,
      });
    }
  }
  return stats;
}

/** The deepest folder containing every path. */
export function commonAncestor(paths: string[]): string {
  if (paths.length === 0) return path.parse(process.cwd()).root;
  let parts = path.dirname(paths[0]!).split(path.sep);
  for (const p of paths) {
    const other = p.split(path.sep);
    let k = 0;
    while (k < parts.length && k < other.length && parts[k] === other[k]) k++;
    if (k < parts.length) parts = parts.slice(0, k);
  }
  const joined = parts.join(path.sep);
  return joined === '' ? path.parse(paths[0]!).root : joined;
}

function isInside(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);
}

function isJson(data: Buffer): boolean {
  try {
    JSON.parse(data.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

/** Files are read whole (fs.readFileSync stops at 2 GiB) and the format's sizes are 32-bit. */
const MAX_FILE_SIZE = 2 ** 31 - 1;

/** What an asset pattern matches (files, folders and links), absolute; node_modules is never searched. */
function globAssets(glob: string, from: string): string[] {
  return fg.sync(glob, {
    cwd: from,
    absolute: true,
    onlyFiles: false,
    dot: true,
    followSymbolicLinks: true,
    ignore: ['**/node_modules/**'],
  });
}

/** The JavaScript files among the assets, which the trace follows leniently (worker and child scripts). */
export function assetScripts(assets: readonly AssetPattern[]): string[] {
  const out = new Set<string>();
  for (const { glob, from } of assets) {
    for (const match of globAssets(glob, from)) {
      if (!/\.[cm]?js$/.test(match)) continue;
      try {
        if (statSync(match).isFile()) out.add(realpathSync(match));
      } catch {
        // vanished or unreadable: collect reports it
      }
    }
  }
  return [...out].sort();
}
