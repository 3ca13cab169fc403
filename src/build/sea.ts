/**
 * Turns packed resources into an executable: the target Node produces the SEA preparation blob (it
 * must be exactly the target's version: the blob has no version marker and its layout changes inside
 * release lines), postject injects it into a copy of that Node (or Node 25.5+ does both itself with
 * --build-sea), and the result replaces the output atomically. On any failure nothing is left at the output path.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdtemp, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { OxpackError } from '../errors.js';
import { formatSize } from '../units.js';
import { atLeast, type TargetInfo } from './target.js';
import type { PostjectJob } from './postject-worker.js';
import { track, untrack } from './temp-files.js';
import {
  ASSET_KEY,
  ESM_HOOKS_ASSET_KEY,
  ESM_HOOKS_CACHE_KEY,
  INDEX_COPY_ASSET_KEY,
  RUNTIME_ASSET_KEY,
  RUNTIME_CACHE_KEY,
} from '../runtime/runtime-script.js';
import { indexCopyOf } from '../format/index-copy.js';

const run = promisify(execFile);

/**
 * The fuse Node checks to know it carries a SEA blob. Spelled in pieces so that it occurs exactly once
 * in an executable (postject refuses a binary holding it twice), even one that packs oxpack itself.
 */
export const SENTINEL_FUSE = ['NODE', 'SEA', 'FUSE', 'fce680ab2cc467b6e072b8b5df1996b2'].join('_');

/** dist/templates/sea-loader.cjs: the main script of an executable, which compiles and runs the runtime. */
export function loaderPath(): string {
  return path.join(path.dirname(bootstrapPath()), 'sea-loader.cjs');
}

/** dist/templates/esm-hooks.cjs: the hooks of a module.register() thread (Node before 22.15), beside the runtime. */
export function esmHooksPath(): string {
  return path.join(path.dirname(bootstrapPath()), 'esm-hooks.cjs');
}

/** dist/templates/main.cjs of this package (the runtime entry), wherever this module runs from. */
export function bootstrapPath(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'dist', 'templates', 'main.cjs');
    if (existsSync(candidate)) return candidate;
    const sibling = path.join(dir, 'templates', 'main.cjs');
    if (path.basename(dir) === 'dist' && existsSync(sibling)) return sibling;
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new OxpackError('OXPACK_INSTALL', 'the runtime template (dist/templates/main.cjs) is missing from this oxpack installation', {
        hint: 'run `npm run build` in an oxpack checkout, or reinstall oxpack',
      });
    }
    dir = parent;
  }
}

export interface ExecutableInput {
  target: TargetInfo;
  /** The packed resources blob. */
  resources: Buffer;
  output: string;
  /** Let the target Node produce a V8 code cache for the main script (same platform only). */
  useCodeCache: boolean;
  /** V8 code caches of the bundles the executable starts, made by the target Node (runtime-cache.ts). */
  caches?: BundleCaches;
  /** Let NODE_OPTIONS extend Node's arguments (default: ignored, "execArgvExtension": "none"). */
  allowNodeOptions?: boolean;
}

export interface BundleCaches {
  /** Of the runtime bundle. */
  runtime?: Buffer | undefined;
  /** Of the hooks of a module.register() thread (targets before 22.15). */
  esmHooks?: Buffer | undefined;
}

/** A path beside `output` (same folder, so rename is atomic) that nobody else will pick. */
export function temporarySibling(output: string): string {
  return path.join(path.dirname(output), `.${path.basename(output)}.oxpack-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Runs the blob's Node on a SEA configuration in a private folder: `--experimental-sea-config` writes
 * the preparation blob; `--build-sea` (Node 25.5+) writes the whole executable from `executable`.
 */
async function runSeaConfig(
  target: TargetInfo,
  resources: Buffer,
  useCodeCache: boolean,
  mode: { blob: true } | { executable: string; output: string },
  allowNodeOptions = false,
  caches: BundleCaches = {},
): Promise<Buffer | undefined> {
  const work = await mkdtemp(path.join(tmpdir(), 'oxpack-sea-'));
  try {
    const resourcesPath = path.join(work, 'resources.oxres');
    const blobPath = path.join(work, 'sea-prep.blob');
    const configPath = path.join(work, 'sea-config.json');
    const cachePath = path.join(work, 'runtime.cache');
    const hooksCachePath = path.join(work, 'esm-hooks.cache');
    const indexCopyPath = path.join(work, 'index.copy');
    await writeFile(resourcesPath, resources);
    await writeFile(indexCopyPath, indexCopyOf(resources));
    if (caches.runtime) await writeFile(cachePath, caches.runtime);
    if (caches.esmHooks) await writeFile(hooksCachePath, caches.esmHooks);
    await writeFile(
      configPath,
      JSON.stringify({
        main: loaderPath(),
        ...('executable' in mode ? { executable: mode.executable, output: mode.output } : { output: blobPath }),
        disableExperimentalSEAWarning: true,
        useSnapshot: false,
        useCodeCache,
        // NODE_OPTIONS must not load code into the app or open a debugger on it: ignored where Node
        // honours this (older lines ignore the setting; the runtime then guards NODE_OPTIONS itself).
        ...(allowNodeOptions ? {} : { execArgvExtension: 'none' }),
        // The runtime bundle the loader compiles (worker threads of packed scripts run it too), its
        // code cache, the hooks it starts a thread with where Node has no registerHooks (and their
        // code cache), and the copy of the index that a start compares the blob's with.
        assets: {
          [ASSET_KEY]: resourcesPath,
          [INDEX_COPY_ASSET_KEY]: indexCopyPath,
          [RUNTIME_ASSET_KEY]: bootstrapPath(),
          [ESM_HOOKS_ASSET_KEY]: esmHooksPath(),
          ...(caches.runtime ? { [RUNTIME_CACHE_KEY]: cachePath } : {}),
          ...(caches.esmHooks ? { [ESM_HOOKS_CACHE_KEY]: hooksCachePath } : {}),
        },
      }),
    );
    try {
      await run(target.blobBinary, ['executable' in mode ? '--build-sea' : '--experimental-sea-config', configPath], {
        cwd: work,
        env: { ...process.env, NODE_OPTIONS: '' },
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (err) {
      const e = err as Error & { stderr?: string };
      throw new OxpackError(
        'OXPACK_SEA',
        `Node ${target.version} could not prepare the executable: ${(e.stderr || e.message).trim().split('\n')[0]}`,
        {
          hint: `check that ${target.blobBinary} is a complete Node ${target.version} binary with single-executable support`,
        },
      );
    }
    return 'executable' in mode ? undefined : await readFile(blobPath);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Produces the SEA preparation blob with the target's Node version. */
export async function seaBlob(
  target: TargetInfo,
  resources: Buffer,
  useCodeCache: boolean,
  allowNodeOptions = false,
  caches: BundleCaches = {},
): Promise<Buffer> {
  return (await runSeaConfig(target, resources, useCodeCache, { blob: true }, allowNodeOptions, caches))!;
}

/**
 * Node 25.5+ builds the executable itself (`--build-sea`), in about a third of postject's time. Used
 * for targets of this platform only: other platforms keep the route whose output the tests check.
 */
export function buildsSeaItself(target: TargetInfo): boolean {
  return !target.crossPlatform && atLeast(target.version, [25, 5, 0]);
}

/** Injects `blob` into a copy of the target Node at a temporary path, in a worker thread (postject-worker.ts). */
export async function inject(binaryCopy: string, blob: Buffer, target: TargetInfo): Promise<void> {
  const job: PostjectJob = {
    file: binaryCopy,
    blob,
    sentinelFuse: SENTINEL_FUSE,
    ...(target.platform === 'darwin' ? { machoSegmentName: 'NODE_SEA' } : {}),
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const worker = new Worker(new URL('./postject-worker.js', import.meta.url), { workerData: job });
      worker.once('message', () => resolve());
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the injection stopped with exit code ${code}`)));
    });
  } catch (err) {
    throw injectionError(err as Error, blob.length, target);
  }
}

/** What went wrong in postject, told as the build's error. */
export function injectionError(err: Error, blobSize: number, target: TargetInfo): OxpackError {
  const message = err.message;
  // postject's WebAssembly aborts without a word when the binary and the blob outgrow its memory:
  // with Node 20's 99 MB binary, at a blob of 300 MB it succeeds, at 320 MB it aborts.
  if (/^Aborted\(/.test(message)) {
    return new OxpackError(
      'OXPACK_INJECT',
      `could not inject ${formatSize(blobSize)} of packed resources into the Node binary: postject, which does it, ran out of memory (it aborts near 300 MB)`,
      {
        hint:
          "make the resources smaller: leave out files the app never reads with --exclude (e.g. 'node_modules/**/*.{d.ts,map}'; " +
          '--verbose lists the largest packages), or compress them with --compress brotli; Node 25.5 and later targets (-t node26) are built without postject',
      },
    );
  }
  return new OxpackError('OXPACK_INJECT', `could not inject the application into the Node binary: ${message}`, {
    hint: message.includes('sentinel')
      ? `${target.binary} does not look like an official Node build with single-executable support`
      : undefined,
  });
}

/**
 * Official Windows and macOS binaries are signed, and injecting breaks the signature: a broken
 * signature is worse than none (Windows reports tampering; macOS kills the process), so it is removed
 * first. macOS output must then be signed again (codesign --sign -) before it runs on Apple silicon.
 */
async function removeSignature(file: string, target: TargetInfo): Promise<void> {
  if (target.platform !== 'win32' && target.platform !== 'darwin') return;
  const data = await readFile(file);
  let unsigned: ArrayBuffer | null;
  if (target.platform === 'win32') {
    const { signatureGet, signatureSet } = await import('portable-executable-signature');
    unsigned = signatureGet(data) ? signatureSet(data, null) : null;
  } else {
    const { unsign } = await import('macho-unsign');
    unsigned = unsign(data);
  }
  if (unsigned) await writeFile(file, Buffer.from(unsigned));
}

/** Builds the executable at a temporary sibling of `output`, then renames it into place. */
export async function writeExecutable(input: ExecutableInput): Promise<number> {
  const { target, output } = input;
  const temp = temporarySibling(output);
  track(temp);
  try {
    if (buildsSeaItself(target)) {
      await runSeaConfig(
        target,
        input.resources,
        input.useCodeCache,
        { executable: target.binary, output: temp },
        input.allowNodeOptions,
        input.caches,
      );
    } else {
      const blob = await seaBlob(target, input.resources, input.useCodeCache, input.allowNodeOptions, input.caches);
      await copyFile(target.binary, temp);
      await chmod(temp, 0o755); // the source may be read-only; postject rewrites the file in place
      await removeSignature(temp, target);
      await inject(temp, blob, target);
    }
    await chmod(temp, 0o755);
    await rename(temp, output);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    if (err instanceof OxpackError) throw err;
    throw writeError(err, output);
  } finally {
    untrack(temp);
  }
  return (await stat(output)).size;
}

/** An fs error while writing the output, as a message about the output. */
export function writeError(err: unknown, output: string): OxpackError {
  const e = err as NodeJS.ErrnoException;
  const reasons: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'the file system is read-only',
    ENOSPC: 'the disk is full',
    EDQUOT: 'the disk quota is exhausted',
    ENOENT: 'its folder does not exist',
    EISDIR: 'it is a folder',
  };
  const reason = (e.code && reasons[e.code]) ?? e.message;
  return new OxpackError('OXPACK_OUTPUT', `cannot write ${output}: ${reason}`, {
    hint:
      e.code === 'ENOSPC' || e.code === 'EDQUOT'
        ? 'free some space (the executable is about 100 MB) or write it elsewhere with -o'
        : 'choose another output path with -o',
    cause: err,
  });
}
