/**
 * Native addons cannot be loaded from memory: dlopen() needs a file. A packed addon is extracted on
 * first use into a per-user cache folder keyed by the blob's hash, keeping the packed layout, so that
 * an addon's rpath ($ORIGIN/../../other-package/lib) still finds the shared libraries packed beside it
 * (sharp loads libvips that way). Shared libraries are extracted with the first addon for that reason.
 *
 * Safety (CVE-2024-24828 was a predictable name in a shared temp folder):
 * - the cache folder is the user's own: every folder oxpack owns in it is checked to be a real folder
 *   (not a link), owned by this user and closed to others (0700); otherwise a private mkdtemp folder is
 *   used, with a warning;
 * - a file is written under a unique temporary name and renamed into place, so concurrent first starts
 *   never see half a file;
 * - a cached file is used only when its size and bytes equal the packed ones; anything else (a
 *   tampered or truncated file, a link) is replaced.
 *
 * The location: $OXPACK_CACHE_DIR, else $XDG_CACHE_HOME/oxpack or ~/.cache/oxpack (Linux),
 * ~/Library/Caches/oxpack (macOS), %LOCALAPPDATA%\oxpack\Cache (Windows); addons go to
 * <cache>/addons/<hash>, Node binaries fetched for builds to <cache>/node.
 */
import fs from 'node:fs';
import type os from 'node:os';
import path from 'node:path';
import { builtin } from '../builtins.js';
import { userCacheDir } from '../cache-location.js';
import { Kind } from '../format/layout.js';
import type { FinderCore } from './finder.js';

// The real fs: the overlay must never serve these paths (they are outside the virtual root anyway).
const real = {
  lstatSync: fs.lstatSync,
  mkdirSync: fs.mkdirSync,
  chmodSync: fs.chmodSync,
  writeFileSync: fs.writeFileSync,
  readFileSync: fs.readFileSync,
  renameSync: fs.renameSync,
  unlinkSync: fs.unlinkSync,
  mkdtempSync: fs.mkdtempSync,
  rmSync: fs.rmSync,
};

/** Files that an addon may load through its rpath: extracted together with the first addon. */
const SHARED_LIBRARY = /\.(so(\.\d+)*|dylib|dll)$/;

export class AddonCacheError extends Error {
  readonly code = 'OXPACK_ADDON_CACHE';
}

export interface AddonCacheOptions {
  /** The cache folder (default: userCacheDir()). */
  dir?: string;
  /** Where warnings go (default: stderr). */
  warn?: (message: string) => void;
  /** Logs each extraction (the debug switch). */
  debug?: (message: string) => void;
}

export class AddonCache {
  private folder: string | undefined;
  private companionsDone = false;
  private readonly ready = new Set<number>();

  constructor(
    private readonly finder: FinderCore,
    private readonly options: AddonCacheOptions = {},
  ) {}

  /** A real path for packed entry `i`, extracting it (and the shared libraries) when needed. */
  pathFor(i: number): string {
    const folder = this.ensureFolder();
    if (!this.companionsDone) {
      this.companionsDone = true;
      const index = this.finder.index;
      for (let k = 1; k < index.count; k++) {
        if (k !== i && SHARED_LIBRARY.test(index.name(k)) && index.kind(k) !== Kind.directory) this.extract(folder, k);
      }
    }
    return this.extract(folder, i);
  }

  /**
   * A real path for packed entry `i` alone: a program the app runs (spawn-hooks.ts), which, unlike an
   * addon, loads no packed shared library through an rpath.
   */
  fileFor(i: number): string {
    return this.extract(this.ensureFolder(), i);
  }

  private extract(folder: string, i: number): string {
    const index = this.finder.index;
    const name = index.name(i);
    const target = path.join(folder, ...name.split('/'));
    if (this.ready.has(i)) return target;
    // A packed link (libfoo.so.1 -> libfoo.so.1.2.3) is extracted as a copy of what it points at.
    const found = this.finder.resolveName(name);
    if (!found.ok || index.kind(found.index) === Kind.directory) {
      throw new AddonCacheError(`cannot extract ${name}: the packed link does not lead to a file`);
    }
    const data = this.finder.contents(found.index);
    if (!sameFile(target, data)) {
      real.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
      replaceFile(target, data, 0o700);
      this.options.debug?.(`extracted ${name} (${data.length} bytes) to ${target}`);
    } else {
      this.options.debug?.(`reused ${target}`);
    }
    this.ready.add(i);
    return target;
  }

  /** <cache>/addons/<blob hash>, created and checked once. */
  private ensureFolder(): string {
    if (this.folder) return this.folder;
    const base = this.options.dir ?? userCacheDir();
    const addons = path.join(base, 'addons');
    const folder = path.join(addons, this.finder.index.hash.slice(0, 32));
    try {
      ownFolders(base, ['addons', this.finder.index.hash.slice(0, 32)]);
      this.folder = folder;
    } catch (err) {
      const temp = real.mkdtempSync(path.join(builtin<typeof os>('node:os').tmpdir(), 'oxpack-addons-'));
      process.once('exit', () => {
        try {
          real.rmSync(temp, { recursive: true, force: true });
        } catch {
          // best effort: the folder is private
        }
      });
      (this.options.warn ?? ((m: string) => process.emitWarning(m, 'OxpackWarning')))(
        `cannot use the addon cache ${base}: ${(err as Error).message}; using the private folder ${temp} for this run ` +
          '(set OXPACK_CACHE_DIR to a folder of your own)',
      );
      this.folder = temp;
    }
    return this.folder;
  }
}

/**
 * Creates (or checks) `base` and the folders `parts` below it, each a real folder of this user closed
 * to others, and returns the innermost. The folders above `base` are the user's business. Throws when
 * one fails the check (a link, another user's): nothing is then written there.
 */
export function ownFolders(base: string, parts: string[]): string {
  real.mkdirSync(path.dirname(base), { recursive: true, mode: 0o700 });
  let dir = base;
  ownFolder(dir, true);
  for (const part of parts) ownFolder((dir = path.join(dir, part)), true);
  return dir;
}

/**
 * Writes `data` to `file` under a unique temporary name in the same folder, then renames it into
 * place: concurrent readers see the old file or the whole new one, never a part. Nothing is left
 * behind on failure.
 */
export function replaceFile(file: string, data: Uint8Array, mode: number): void {
  // Unique, not secret: the folder is this user's alone (ownFolders). Not node:crypto, whose loading
  // cost several milliseconds at the end of every first start that writes code caches.
  const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2, 12)}.tmp`;
  try {
    real.writeFileSync(temp, data, { mode, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') removeQuietly(temp); // an EEXIST file is another writer's
    throw err;
  }
  try {
    real.renameSync(temp, file);
  } catch (err) {
    removeQuietly(temp);
    throw err;
  }
}

function removeQuietly(file: string): void {
  try {
    real.unlinkSync(file);
  } catch {
    // never written
  }
}

/**
 * The same checks as ownFolders() without creating anything: the innermost folder, or undefined when
 * one does not exist yet. For readers, which need no folder that is not there (and a failed mkdir per
 * level costs a thrown error each).
 */
export function existingOwnFolders(base: string, parts: string[]): string | undefined {
  let dir = base;
  if (!ownFolder(dir, false)) return undefined;
  for (const part of parts) if (!ownFolder((dir = path.join(dir, part)), false)) return undefined;
  return dir;
}

/**
 * Creates `dir` (0700, when `create`) or checks an existing one: a real folder, this user's, closed to
 * others. False when it does not exist (and was not to be created).
 */
function ownFolder(dir: string, create: boolean): boolean {
  if (create) {
    try {
      real.mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  const st = real.lstatSync(dir, { throwIfNoEntry: false });
  if (!st) {
    if (create) throw new AddonCacheError(`${dir} disappeared while it was being created`);
    return false;
  }
  if (st.isSymbolicLink()) throw new AddonCacheError(`${dir} is a symbolic link`);
  if (!st.isDirectory()) throw new AddonCacheError(`${dir} is not a folder`);
  if (process.platform === 'win32') return true; // ACLs, not modes; %LOCALAPPDATA% is per user
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new AddonCacheError(`${dir} belongs to another user (uid ${st.uid})`);
  if ((st.mode & 0o077) !== 0) real.chmodSync(dir, 0o700); // ours: close it
  return true;
}

/** Whether `file` is a regular file (not a link) holding exactly `data`. */
function sameFile(file: string, data: Buffer): boolean {
  try {
    const st = real.lstatSync(file);
    if (!st.isFile() || st.size !== data.length) return false;
    return real.readFileSync(file).equals(data);
  } catch {
    return false;
  }
}
