/**
 * The build's code-cache step: the target Node (it must run here, and be exactly the version the
 * executable carries) compiles every packed CommonJS module as the runtime will and hands back the
 * V8 code cache, which the runtime starts from (src/runtime/code-cache.ts). Compiling is all it
 * does: no code of the app runs at build time.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { userCacheDir } from '../cache-location.js';
import { OxpackError } from '../errors.js';
import type { Resource } from './collector.js';
import { bootstrapPath, esmHooksPath, loaderPath } from './sea.js';
import { ESM_HOOKS_SCRIPT_NAME, RUNTIME_SCRIPT_NAME } from '../runtime/runtime-script.js';
import type { TargetInfo } from './target.js';

const run = promisify(execFile);

/**
 * Code caches made before, per Node version and source: a rebuild of an unchanged app reuses them, so
 * that its blob (and then the executable) comes out the same and nothing needs compiling or injecting.
 */
class StoredCaches {
  private readonly dir: string;
  constructor(version: string) {
    this.dir = path.join(userCacheDir(), 'build', 'code-cache', version);
  }
  key(...inputs: Buffer[]): string {
    const hash = createHash('sha256');
    for (const input of inputs) hash.update(input);
    return hash.digest('hex');
  }
  async get(key: string): Promise<Buffer | undefined> {
    return readFile(path.join(this.dir, key)).catch(() => undefined);
  }
  async put(key: string, cache: Buffer): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      const temp = path.join(this.dir, `${key}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      await writeFile(temp, cache, { mode: 0o600 });
      await rename(temp, path.join(this.dir, key));
    } catch {
      // a cache that cannot be kept is made again next time
    }
  }
}

/**
 * The code cache of the runtime bundle (templates/runtime-cache.ts), made by the target Node once per
 * version and runtime, then kept with the module caches.
 */
export async function runtimeCodeCache(target: TargetInfo): Promise<Buffer> {
  return bundleCodeCache(target, bootstrapPath(), RUNTIME_SCRIPT_NAME, loaderPath());
}

/**
 * The code cache of the hooks a module.register() thread runs (targets before 22.15), made the same
 * way; the module that starts them is made by the runtime itself (runtime-script.ts).
 */
export async function esmHooksCodeCache(target: TargetInfo): Promise<Buffer> {
  return bundleCodeCache(target, esmHooksPath(), ESM_HOOKS_SCRIPT_NAME);
}

/** `bundle`'s code cache under `name`; `loader` is the script that compiles it at run time, if a file. */
async function bundleCodeCache(target: TargetInfo, bundle: string, name: string, loader?: string): Promise<Buffer> {
  const stored = new StoredCaches(target.version);
  const maker = path.join(path.dirname(bootstrapPath()), 'runtime-cache.cjs');
  // The bundle, and how it is wrapped and compiled (the maker's and the loader's code).
  const inputs = await Promise.all([bundle, maker, ...(loader ? [loader] : [])].map((f) => readFile(f)));
  const key = stored.key(Buffer.concat([Buffer.from(`${name}\0`), ...inputs]));
  const known = await stored.get(key);
  if (known) return known;
  const work = await mkdtemp(path.join(tmpdir(), 'oxpack-runtime-cache-'));
  try {
    const out = path.join(work, 'bundle.cache');
    await runTarget(target, [maker, bundle, out, name]);
    const cache = await readFile(out);
    await stored.put(key, cache);
    return cache;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Runs a build-time script on the target Node; its failure is a build error that names the way around it. */
async function runTarget(target: TargetInfo, args: string[]): Promise<void> {
  try {
    await run(target.blobBinary, args, { env: { ...process.env, NODE_OPTIONS: '' }, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new OxpackError(
      'OXPACK_CODE_CACHE',
      `Node ${target.version} could not make the code cache: ${(e.stderr || e.message).trim().split('\n')[0]}`,
      {
        hint: 'build without it with --no-code-cache, and report the problem',
      },
    );
  }
}

/** Attaches a code cache to each resource; returns how many got one, their size, and how many were reused. */
export async function addCodeCaches(target: TargetInfo, all: Resource[]): Promise<{ count: number; bytes: number; reused: number }> {
  const stored = new StoredCaches(target.version);
  const maker = path.join(path.dirname(bootstrapPath()), 'code-cache.cjs');
  // Keyed by the maker too: how a module is compiled is part of what its cache is.
  const makerDigest = createHash('sha256')
    .update(await readFile(maker))
    .digest();
  const keys = new Map<Resource, string>();
  const modules: Resource[] = [];
  let reused = 0;
  let reusedBytes = 0;
  for (const m of all) {
    const key = stored.key(makerDigest, Buffer.from(m.data!.buffer, m.data!.byteOffset, m.data!.length));
    const cache = await stored.get(key);
    if (cache) {
      m.codeCache = cache;
      reused++;
      reusedBytes += cache.length;
    } else {
      keys.set(m, key);
      modules.push(m);
    }
  }
  if (modules.length === 0) return { count: reused, bytes: reusedBytes, reused };
  const work = await mkdtemp(path.join(tmpdir(), 'oxpack-code-cache-'));
  try {
    const sources = modules.map((m) => Buffer.from(m.data!.buffer, m.data!.byteOffset, m.data!.length));
    await writeFile(path.join(work, 'sources.bin'), Buffer.concat(sources));
    await writeFile(path.join(work, 'sources.json'), JSON.stringify(sources.map((s) => s.length)));
    await runTarget(target, [maker, work]);
    const caches = await readFile(path.join(work, 'caches.bin'));
    const lengths = JSON.parse(await readFile(path.join(work, 'caches.json'), 'utf8')) as number[];
    let offset = 0;
    let count = 0;
    const writes: Promise<void>[] = [];
    modules.forEach((m, k) => {
      const length = lengths[k] ?? 0;
      if (length > 0) {
        m.codeCache = caches.subarray(offset, offset + length);
        writes.push(stored.put(keys.get(m)!, m.codeCache as Buffer));
        count++;
      }
      offset += length;
    });
    await Promise.all(writes);
    return { count: count + reused, bytes: offset + reusedBytes, reused };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
