/**
 * Routes fs calls on packed paths to the VirtualFs, in their sync, callback and promise forms; every
 * other path and descriptor goes to the real fs untouched. Writes under the virtual root fail with
 * EROFS and never reach the disk. ES modules that import named fs functions see the same functions
 * (module.syncBuiltinESMExports).
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type readline from 'node:readline';
import { builtin, syncBuiltinESMExports } from '../builtins.js';
import { fsError } from './fs-errors.js';
import { pathArgument } from './virtual-root.js';
import { isWriteFlag, type VirtualFs } from './vfs.js';
import type { BuiltinTriggers } from './builtin-triggers.js';
import { debugLog, sinceStart } from './debug.js';

type Fn = (...args: any[]) => any;
type Encoding = BufferEncoding | 'buffer' | null | undefined;

const encodingOf = (options: unknown): Encoding =>
  typeof options === 'string' ? (options as Encoding) : (options as { encoding?: Encoding } | undefined)?.encoding;
const flagOf = (options: unknown): string | undefined =>
  typeof options === 'object' && options !== null ? (options as { flag?: string }).flag : undefined;
const bigintOf = (options: unknown): boolean => Boolean((options as { bigint?: boolean } | undefined)?.bigint);

/**
 * With `triggers`, fs.promises is patched (and loaded) only when the app first gets it: through
 * fs.promises, require('fs/promises') or an import of it (builtin-triggers.ts). Without, at once.
 */
export function installFsOverlay(vfs: VirtualFs, triggers?: BuiltinTriggers): () => void {
  const root = vfs.finder.root;
  const target = fs as unknown as Record<string, Fn>;
  const restore: (() => void)[] = [];
  /** The fs.promises functions to replace, and how: applied by patchPromises(). */
  const promiseOperations: [string, (original: Fn) => Fn][] = [];

  /**
   * The path string when `p` names something under the virtual root, or a path beside it in the
   * container, which the VirtualFs finds nothing at (VirtualRoot.besideRoot).
   */
  const virtual = (p: unknown): string | undefined => {
    const s = pathArgument(p);
    return s !== undefined && (root.contains(s) || root.besideRoot(s)) ? s : undefined;
  };

  const replace = (obj: Record<string, Fn>, name: string, make: (original: Fn) => Fn): void => {
    const original = obj[name];
    if (typeof original !== 'function') return;
    const replacement = make(original);
    for (const key of Object.keys(original))
      (replacement as unknown as Record<string, unknown>)[key] = (original as unknown as Record<string, unknown>)[key];
    // util.promisify.custom (fs.exists has one, which calls fs.exists, now the replacement): without it
    // util.promisify(fs.exists) took the boolean it calls back with for an error, and rejected.
    for (const key of Object.getOwnPropertySymbols(original))
      Object.defineProperty(replacement, key, Object.getOwnPropertyDescriptor(original, key)!);
    obj[name] = replacement;
    restore.push(() => {
      obj[name] = original;
    });
  };

  const later = (cb: Fn, err: unknown, ...values: unknown[]): void => {
    process.nextTick(() => (err ? cb(err) : cb(null, ...values)));
  };

  /**
   * Registers one operation in its three forms. `pick` decides from the arguments whether the call is
   * ours (a virtual path, or a virtual descriptor) and returns the implementation to run, or undefined.
   */
  const operation = (
    names: { sync?: string; callback?: string; promise?: string },
    pick: (args: unknown[]) => (() => unknown) | undefined,
  ): void => {
    if (names.sync) {
      replace(
        target,
        names.sync,
        (original) =>
          function (this: unknown, ...args: unknown[]) {
            const run = pick(args);
            return run ? run() : original.apply(this, args);
          },
      );
    }
    if (names.callback) {
      replace(
        target,
        names.callback,
        (original) =>
          function (this: unknown, ...args: unknown[]) {
            const cb = args[args.length - 1];
            if (typeof cb !== 'function') return original.apply(this, args);
            const run = pick(args.slice(0, -1));
            if (!run) return original.apply(this, args);
            let result: unknown;
            try {
              result = run();
            } catch (err) {
              return later(cb as Fn, err);
            }
            return later(cb as Fn, null, result);
          },
      );
    }
    if (names.promise) {
      promiseOperations.push([
        names.promise,
        (original) =>
          function (this: unknown, ...args: unknown[]) {
            const run = pick(args);
            if (!run) return original.apply(this, args);
            try {
              return Promise.resolve(run());
            } catch (err) {
              return Promise.reject(err);
            }
          },
      ]);
    }
  };

  const all = (sync: string, callback: string, promise?: string) => ({ sync, callback, promise: promise ?? callback });

  // --- reading ---
  operation(all('readFileSync', 'readFile'), ([p, options]) => {
    if (vfs.isOpen(p)) return () => vfs.readRest(p, encodingOf(options));
    if (p instanceof VirtualFileHandle) return () => vfs.readRest(p.fd, encodingOf(options));
    const v = virtual(p);
    if (v === undefined) return undefined;
    if (isWriteFlag(flagOf(options)))
      return () => {
        throw fsError('EROFS', 'open', v);
      };
    return () => vfs.readFile(v, encodingOf(options));
  });
  operation(all('statSync', 'stat'), ([p, options]) => {
    const v = virtual(p);
    if (v === undefined) return undefined;
    if ((options as { throwIfNoEntry?: boolean } | undefined)?.throwIfNoEntry === false)
      return () => vfs.tryStat(v, bigintOf(options), true);
    return () => vfs.stat(v, bigintOf(options));
  });
  operation(all('lstatSync', 'lstat'), ([p, options]) => {
    const v = virtual(p);
    if (v === undefined) return undefined;
    if ((options as { throwIfNoEntry?: boolean } | undefined)?.throwIfNoEntry === false)
      return () => vfs.tryStat(v, bigintOf(options), false);
    return () => vfs.stat(v, bigintOf(options), false);
  });
  operation(all('fstatSync', 'fstat'), ([fd, options]) => (vfs.isOpen(fd) ? () => vfs.fstat(fd, bigintOf(options)) : undefined));
  const realReaddirSync = fs.readdirSync;
  operation(all('readdirSync', 'readdir'), ([p, options]) => {
    const opts =
      typeof options === 'string'
        ? { encoding: options as Encoding }
        : ((options ?? {}) as { withFileTypes?: boolean; encoding?: Encoding; recursive?: boolean });
    const v = virtual(p);
    if (v === undefined) return containerListing(root, pathArgument(p), opts, realReaddirSync);
    return () => vfs.readdir(v, opts);
  });
  operation(all('accessSync', 'access'), ([p, mode]) => {
    const v = virtual(p);
    return v === undefined ? undefined : () => vfs.access(v, mode as number | undefined);
  });
  operation(all('readlinkSync', 'readlink'), ([p, options]) => {
    const v = virtual(p);
    return v === undefined ? undefined : () => vfs.readlink(v, encodingOf(options));
  });
  operation(all('realpathSync', 'realpath'), ([p, options]) => {
    const v = virtual(p);
    return v === undefined ? undefined : () => vfs.realpath(v, encodingOf(options));
  });
  // realpath.native is a separate function; the copied property still points at the real one.
  for (const name of ['realpathSync', 'realpath'] as const) {
    const host = target[name] as Fn & { native?: Fn };
    const original = host.native;
    if (typeof original === 'function') {
      host.native = function (this: unknown, ...args: unknown[]) {
        return (host as Fn).apply(this, args);
      };
      restore.push(() => {
        host.native = original;
      });
    }
  }

  // exists answers without an error argument.
  replace(
    target,
    'existsSync',
    (original) =>
      function (this: unknown, p: unknown) {
        const v = virtual(p);
        return v === undefined ? original.call(this, p) : vfs.exists(v);
      },
  );
  replace(
    target,
    'exists',
    (original) =>
      function (this: unknown, p: unknown, cb: unknown) {
        const v = virtual(p);
        if (v === undefined || typeof cb !== 'function') return original.call(this, p, cb);
        const found = vfs.exists(v);
        process.nextTick(() => (cb as Fn)(found));
      },
  );

  // --- descriptors ---
  operation({ sync: 'openSync', callback: 'open' }, ([p, flags]) => {
    const v = virtual(p);
    return v === undefined ? undefined : () => vfs.open(v, flags as string | number | undefined);
  });
  operation({ promise: 'open' }, ([p, flags]) => {
    const v = virtual(p);
    return v === undefined ? undefined : () => new VirtualFileHandle(vfs, vfs.open(v, flags as string | number | undefined));
  });
  operation({ sync: 'closeSync', callback: 'close' }, ([fd]) => (vfs.isOpen(fd) ? () => vfs.close(fd) : undefined));
  replace(
    target,
    'readSync',
    (original) =>
      function (this: unknown, fd: unknown, ...rest: unknown[]) {
        if (!vfs.isOpen(fd)) return original.call(this, fd, ...rest);
        const { buffer, offset, length, position } = readArguments(rest);
        return vfs.read(fd, buffer, offset, length, position);
      },
  );
  replace(
    target,
    'read',
    (original) =>
      function (this: unknown, fd: unknown, ...rest: unknown[]) {
        const cb = rest[rest.length - 1];
        if (!vfs.isOpen(fd) || typeof cb !== 'function') return original.call(this, fd, ...rest);
        let args: ReturnType<typeof readArguments>;
        let n: number;
        try {
          args = readArguments(rest.slice(0, -1));
          n = vfs.read(fd, args.buffer, args.offset, args.length, args.position);
        } catch (err) {
          return later(cb as Fn, err);
        }
        process.nextTick(() => (cb as Fn)(null, n, args.buffer));
      },
  );
  operation({ sync: 'readvSync' }, ([fd, buffers, position]) =>
    vfs.isOpen(fd) ? () => vfs.readv(fd, buffers as NodeJS.ArrayBufferView[], position as number | null | undefined) : undefined,
  );
  // readv's callback gets the buffers too, (err, bytesRead, buffers), as read's gets its buffer.
  replace(
    target,
    'readv',
    (original) =>
      function (this: unknown, fd: unknown, buffers: unknown, ...rest: unknown[]) {
        const cb = rest[rest.length - 1];
        if (!vfs.isOpen(fd) || typeof cb !== 'function') return original.call(this, fd, buffers, ...rest);
        let n: number;
        try {
          n = vfs.readv(fd, buffers as NodeJS.ArrayBufferView[], rest.length > 1 ? (rest[0] as number | null) : null);
        } catch (err) {
          return later(cb as Fn, err);
        }
        process.nextTick(() => (cb as Fn)(null, n, buffers));
      },
  );
  for (const [sync, callback] of [
    ['writeSync', 'write'],
    ['writevSync', 'writev'],
    ['ftruncateSync', 'ftruncate'],
  ] as const) {
    operation({ sync, callback }, ([fd]) =>
      vfs.isOpen(fd)
        ? () => {
            throw fsError('EBADF', callback);
          }
        : undefined,
    );
  }
  for (const [sync, callback, syscall] of [
    ['fchmodSync', 'fchmod', 'fchmod'],
    ['fchownSync', 'fchown', 'fchown'],
    ['futimesSync', 'futimes', 'futime'],
  ] as const) {
    operation({ sync, callback }, ([fd]) =>
      vfs.isOpen(fd)
        ? () => {
            throw fsError('EROFS', syscall);
          }
        : undefined,
    );
  }
  for (const [sync, callback] of [
    ['fsyncSync', 'fsync'],
    ['fdatasyncSync', 'fdatasync'],
  ] as const) {
    operation({ sync, callback }, ([fd]) => (vfs.isOpen(fd) ? () => undefined : undefined));
  }

  // --- folders as streams of entries ---
  operation(all('opendirSync', 'opendir'), ([p]) => {
    const v = virtual(p);
    return v === undefined ? undefined : () => new VirtualDir(v, vfs.readdir(v, { withFileTypes: true }) as fs.Dirent[]);
  });

  // --- watching: packed files never change ---
  replace(
    target,
    'watch',
    (original) =>
      function (this: unknown, p: unknown, ...rest: unknown[]) {
        const v = virtual(p);
        if (v === undefined) return original.call(this, p, ...rest);
        vfs.entry(v, 'watch'); // a missing path fails as it does on disk
        const { options, listener } = watchArguments(rest);
        const watcher = new InertWatcher(options.persistent !== false);
        if (listener) watcher.on('change', listener);
        options.signal?.addEventListener('abort', () => watcher.close(), { once: true });
        return watcher;
      },
  );
  // fs.watchFile polls stat() natively, which finds nothing at a packed path and reports the file as
  // gone: one inert watcher per packed path instead, stopped by unwatchFile as the real one is.
  const statWatchers = new Map<string, InertWatcher>();
  replace(
    target,
    'watchFile',
    (original) =>
      function (this: unknown, p: unknown, ...rest: unknown[]) {
        const v = virtual(p);
        if (v === undefined) return original.call(this, p, ...rest);
        const { options, listener } = watchArguments(rest);
        const key = path.resolve(v);
        let watcher = statWatchers.get(key);
        if (!watcher) statWatchers.set(key, (watcher = new InertWatcher(options.persistent !== false)));
        if (listener) watcher.on('change', listener);
        return watcher;
      },
  );
  replace(
    target,
    'unwatchFile',
    (original) =>
      function (this: unknown, p: unknown, listener?: unknown) {
        const v = virtual(p);
        if (v === undefined) return original.call(this, p, listener);
        const key = path.resolve(v);
        const watcher = statWatchers.get(key);
        if (!watcher) return;
        if (typeof listener === 'function') watcher.removeListener('change', listener as Fn);
        else watcher.removeAllListeners('change');
        if (watcher.listenerCount('change') === 0) {
          watcher.close();
          statWatchers.delete(key);
        }
      },
  );
  promiseOperations.push([
    'watch',
    (original) =>
      function (this: unknown, p: unknown, options?: { signal?: AbortSignal }) {
        const v = virtual(p);
        if (v === undefined) return original.call(this, p, options);
        vfs.entry(v, 'watch');
        return inertChanges(options?.signal);
      },
  ]);
  // Node's own fs.glob (22+) checks the literal folders of an absolute pattern with lstat, which finds
  // the container a file: a pattern under the virtual root is run relative to the root instead, and
  // what it matches is given back as the absolute paths the absolute pattern would have given. Its
  // module takes fs/promises' functions when first loaded, by an internal require that no trigger
  // sees: they are patched before.
  const globUnderRoot = (pattern: unknown, options: unknown): GlobCall | undefined => {
    patchPromises();
    return rootedGlob(root.path, (p) => root.contains(p), pattern, options);
  };
  replace(
    target,
    'globSync',
    (original) =>
      function (this: unknown, ...args: unknown[]) {
        const call = globUnderRoot(args[0], args[1]);
        if (!call) return original.apply(this, args);
        return (original.call(this, call.pattern, call.options) as unknown[]).map(call.back);
      },
  );
  replace(
    target,
    'glob',
    (original) =>
      function (this: unknown, ...args: unknown[]) {
        const cb = args[args.length - 1];
        const call = typeof cb === 'function' ? globUnderRoot(args[0], args.length > 2 ? args[1] : undefined) : undefined;
        if (!call) return original.apply(this, args);
        return original.call(this, call.pattern, call.options, (err: unknown, matches: unknown[]) =>
          err ? (cb as Fn)(err) : (cb as Fn)(null, matches.map(call.back)),
        );
      },
  );
  promiseOperations.push([
    'glob',
    (original) =>
      function (this: unknown, ...args: unknown[]) {
        const call = globUnderRoot(args[0], args[1]);
        if (!call) return original.apply(this, args);
        const matches = original.call(this, call.pattern, call.options) as AsyncIterable<unknown>;
        return (async function* () {
          for await (const m of matches) yield call.back(m);
        })();
      },
  ]);
  operation(all('statfsSync', 'statfs'), ([p, options]) => {
    const v = virtual(p);
    if (v === undefined) return undefined;
    return () => {
      vfs.entry(v, 'statfs');
      return (target.statfsSync as Fn)(vfs.hostPath(), options);
    };
  });
  replace(
    target,
    'openAsBlob',
    (original) =>
      function (this: unknown, p: unknown, options?: { type?: string }) {
        const v = virtual(p);
        if (v === undefined) return original.call(this, p, options);
        try {
          const data = vfs.readFile(v, undefined) as Buffer;
          return Promise.resolve(new Blob([data], options?.type === undefined ? {} : { type: options.type }));
        } catch (err) {
          return Promise.reject(err);
        }
      },
  );

  // --- copying packed files out to the real disk ---
  operation(all('copyFileSync', 'copyFile'), ([src, dest, mode]) => {
    const d = virtual(dest);
    if (d !== undefined)
      return () => {
        throw fsError('EROFS', 'copyfile', pathArgument(src), d);
      };
    const s = virtual(src);
    return s === undefined ? undefined : () => vfs.copyFile(s, pathArgument(dest)!, mode as number | undefined);
  });
  operation(all('cpSync', 'cp'), ([src, dest, options]) => {
    const d = virtual(dest);
    if (d !== undefined)
      return () => {
        throw fsError('EROFS', 'cp', pathArgument(src), d);
      };
    const s = virtual(src);
    return s === undefined
      ? undefined
      : () => copyOut(vfs, s, pathArgument(dest)!, (options ?? {}) as { recursive?: boolean; force?: boolean; errorOnExist?: boolean });
  });

  // --- everything that writes: refused under the virtual root ---
  const refuse = (names: [string, string, string?], syscall: string, pathArgs = 1): void => {
    operation(all(names[0], names[1], names[2]), (args) => {
      for (let k = 0; k < pathArgs; k++) {
        const v = virtual(args[k]);
        if (v !== undefined) {
          const other = pathArgs > 1 ? pathArgument(args[k === 0 ? 1 : 0]) : undefined;
          return () => {
            throw fsError('EROFS', syscall, k === 0 ? v : pathArgument(args[0]), k === 0 ? other : v);
          };
        }
      }
      return undefined;
    });
  };
  refuse(['writeFileSync', 'writeFile'], 'open');
  refuse(['appendFileSync', 'appendFile'], 'open');
  refuse(['truncateSync', 'truncate'], 'open');
  refuse(['rmSync', 'rm'], 'rm');
  refuse(['rmdirSync', 'rmdir'], 'rmdir');
  refuse(['unlinkSync', 'unlink'], 'unlink');
  refuse(['chmodSync', 'chmod'], 'chmod');
  refuse(['lchmodSync', 'lchmod'], 'chmod');
  refuse(['chownSync', 'chown'], 'chown');
  refuse(['lchownSync', 'lchown'], 'lchown');
  refuse(['utimesSync', 'utimes'], 'utime');
  refuse(['lutimesSync', 'lutimes'], 'lutime');
  refuse(['mkdtempSync', 'mkdtemp'], 'mkdtemp');
  refuse(['renameSync', 'rename'], 'rename', 2);
  refuse(['linkSync', 'link'], 'link', 2);
  operation(all('symlinkSync', 'symlink'), ([targetPath, p]) => {
    const v = virtual(p);
    return v === undefined
      ? undefined
      : () => {
          throw fsError('EROFS', 'symlink', pathArgument(targetPath), v);
        };
  });
  operation(all('mkdirSync', 'mkdir'), ([p, options]) => {
    const v = virtual(p);
    if (v === undefined) return undefined;
    const recursive = typeof options === 'object' && options !== null && Boolean((options as { recursive?: boolean }).recursive);
    return () => {
      const found = vfs.finder.lookupPath(v);
      if (found?.ok) {
        if (recursive && vfs.isDirectory(found.index)) return undefined;
        throw fsError('EEXIST', 'mkdir', v);
      }
      throw fsError('EROFS', 'mkdir', v);
    };
  });

  let promisesPatched = false;
  const patchPromises = (): void => {
    if (promisesPatched) return;
    promisesPatched = true;
    const promises = fs.promises as unknown as Record<string, Fn>;
    for (const [name, make] of promiseOperations) replace(promises, name, make);
    syncBuiltinESMExports();
    debugLog('timing')?.(`fs/promises patched at ${sinceStart().toFixed(1)} ms`);
  };
  if (triggers) {
    triggers.on(['fs/promises'], patchPromises);
    triggers.watchGetter(fs, 'promises', 'fs/promises');
  } else {
    patchPromises();
  }

  syncBuiltinESMExports();
  return () => {
    for (const undo of restore.reverse()) undo();
    syncBuiltinESMExports();
  };
}

/** The argument forms of fs.read/readSync after the fd. */
function readArguments(rest: unknown[]): {
  buffer: NodeJS.ArrayBufferView;
  offset: number;
  length: number;
  position: number | bigint | null;
} {
  let [buffer, offset, length, position] = rest as [unknown, unknown, unknown, unknown];
  if (!ArrayBuffer.isView(buffer)) {
    // read(fd, { buffer, offset, length, position }) or read(fd) with defaults
    const o = (buffer ?? {}) as { buffer?: NodeJS.ArrayBufferView; offset?: number; length?: number; position?: number | bigint | null };
    buffer = o.buffer ?? Buffer.alloc(16384);
    offset = o.offset;
    length = o.length;
    position = o.position;
  } else if (typeof offset === 'object' && offset !== null) {
    // read(fd, buffer, { offset, length, position })
    const o = offset as { offset?: number; length?: number; position?: number | bigint | null };
    offset = o.offset;
    length = o.length;
    position = o.position;
  }
  const view = buffer as NodeJS.ArrayBufferView;
  const off = typeof offset === 'number' ? offset : 0;
  const len = typeof length === 'number' ? length : view.byteLength - off;
  return { buffer: view, offset: off, length: len, position: (position as number | bigint | null | undefined) ?? null };
}

function copyOut(
  vfs: VirtualFs,
  src: string,
  dest: string,
  options: { recursive?: boolean; force?: boolean; errorOnExist?: boolean },
): void {
  const i = vfs.entry(src, 'cp');
  if (!vfs.isDirectory(i)) {
    if (fs.existsSync(dest)) {
      if (options.force === false) {
        if (options.errorOnExist) throw fsError('EEXIST', 'cp', src, dest);
        return;
      }
    }
    vfs.copyFile(src, dest, 0);
    return;
  }
  if (!options.recursive) {
    const err = new Error(
      `Recursive option is required to copy a directory: cp returned EISDIR (${src} is a directory (not copied)) ${src}`,
    ) as NodeJS.ErrnoException;
    err.code = 'ERR_FS_EISDIR';
    throw err;
  }
  fs.mkdirSync(dest, { recursive: true });
  for (const name of vfs.readdir(src, {}) as string[]) copyOut(vfs, path.join(src, name), path.join(dest, name), options);
}

/** fs.watch(path, [options], [listener]) and fs.watchFile's arguments after the path. */
function watchArguments(rest: unknown[]): { options: { persistent?: boolean; signal?: AbortSignal }; listener: Fn | undefined } {
  const options = typeof rest[0] === 'object' && rest[0] !== null ? rest[0] : {};
  return { options, listener: rest.find((a) => typeof a === 'function') as Fn | undefined };
}

/**
 * fs.watch() of a packed path. Packed files never change, so it never reports a change; like a real
 * watcher, it keeps the process alive until it is closed (unless unref'd, or made not persistent).
 */
class InertWatcher extends EventEmitter {
  private timer: NodeJS.Timeout | undefined = setInterval(() => undefined, 2 ** 31 - 1);

  constructor(persistent: boolean) {
    super();
    if (!persistent) this.timer!.unref();
  }

  close(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    process.nextTick(() => this.emit('close'));
  }

  ref(): this {
    this.timer?.ref();
    return this;
  }

  unref(): this {
    this.timer?.unref();
    return this;
  }
}

/** fs.promises.watch() of a packed path: no change ever comes; ends with an AbortError on abort. */
async function* inertChanges(signal?: AbortSignal): AsyncGenerator<never> {
  const aborted = (): Error =>
    Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR', cause: signal?.reason });
  if (signal?.aborted) throw aborted();
  const keepAlive = setInterval(() => undefined, 2 ** 31 - 1);
  try {
    await new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(aborted()), { once: true }));
  } finally {
    clearInterval(keepAlive);
  }
}

/** fs.promises.open() of a packed file: the FileHandle methods that make sense read-only. */
export class VirtualFileHandle extends EventEmitter {
  private closed = false;

  constructor(
    private readonly vfs: VirtualFs,
    private readonly descriptor: number,
  ) {
    super();
  }

  get fd(): number {
    return this.closed ? -1 : this.descriptor;
  }

  async read(...args: unknown[]): Promise<{ bytesRead: number; buffer: NodeJS.ArrayBufferView }> {
    const { buffer, offset, length, position } = readArguments(args);
    return { bytesRead: this.vfs.read(this.descriptor, buffer, offset, length, position), buffer };
  }

  async readFile(options?: unknown): Promise<Buffer | string> {
    return this.vfs.readRest(this.descriptor, encodingOf(options));
  }

  async readv(
    buffers: NodeJS.ArrayBufferView[],
    position?: number | null,
  ): Promise<{ bytesRead: number; buffers: NodeJS.ArrayBufferView[] }> {
    return { bytesRead: this.vfs.readv(this.descriptor, buffers, position), buffers };
  }

  async stat(options?: unknown): Promise<fs.Stats | fs.BigIntStats> {
    return this.vfs.fstat(this.descriptor, bigintOf(options));
  }

  createReadStream(options: Record<string, unknown> = {}): fs.ReadStream {
    return fs.createReadStream('', { ...options, fd: this.descriptor as never });
  }

  readLines(options: Record<string, unknown> = {}): ReturnType<typeof readline.createInterface> {
    return builtin<typeof readline>('node:readline').createInterface({ input: this.createReadStream(options), crlfDelay: Infinity });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.vfs.close(this.descriptor);
    this.emit('close');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async write(): Promise<never> {
    throw fsError('EBADF', 'write');
  }
  async writeFile(): Promise<never> {
    throw fsError('EBADF', 'write');
  }
  async appendFile(): Promise<never> {
    throw fsError('EBADF', 'write');
  }
  async truncate(): Promise<never> {
    throw fsError('EBADF', 'ftruncate');
  }
  async chmod(): Promise<never> {
    throw fsError('EROFS', 'fchmod');
  }
  async chown(): Promise<never> {
    throw fsError('EROFS', 'fchown');
  }
  async utimes(): Promise<never> {
    throw fsError('EROFS', 'futime');
  }
  async sync(): Promise<void> {}
  async datasync(): Promise<void> {}
}

/** fs.opendir() of a packed folder. */
export class VirtualDir {
  private position = 0;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly entries: fs.Dirent[],
  ) {}

  readSync(): fs.Dirent | null {
    if (this.closed) throw Object.assign(new Error('Directory handle was closed'), { code: 'ERR_DIR_CLOSED' });
    return this.entries[this.position++] ?? null;
  }

  read(cb?: (err: Error | null, dirent?: fs.Dirent | null) => void): Promise<fs.Dirent | null> | undefined {
    if (cb) {
      let dirent: fs.Dirent | null;
      try {
        dirent = this.readSync();
      } catch (err) {
        process.nextTick(cb, err as Error);
        return undefined;
      }
      process.nextTick(cb, null, dirent);
      return undefined;
    }
    try {
      return Promise.resolve(this.readSync());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  closeSync(): void {
    if (this.closed) throw Object.assign(new Error('Directory handle was closed'), { code: 'ERR_DIR_CLOSED' });
    this.closed = true;
  }

  close(cb?: (err: Error | null) => void): Promise<void> | undefined {
    try {
      this.closeSync();
    } catch (err) {
      if (cb) {
        process.nextTick(cb, err as Error);
        return undefined;
      }
      return Promise.reject(err);
    }
    if (cb) {
      process.nextTick(cb, null);
      return undefined;
    }
    return Promise.resolve();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<fs.Dirent> {
    try {
      for (let d = this.readSync(); d; d = this.readSync()) yield d;
    } finally {
      if (!this.closed) this.closed = true;
    }
  }

  *entriesSync(): Generator<fs.Dirent> {
    for (let d = this.readSync(); d; d = this.readSync()) yield d;
  }
}

/**
 * Listings that show the container (the executable, the resources file) as the folder its packed
 * files appear to be in, for a crawler walking down from above it; undefined for every other listing.
 *
 * tinyglobby (TypeORM's entity globs, umzug's migrations) walks an absolute pattern from the folder
 * its working folder shares with it: an executable run from another folder has its entity files
 * found by a walk from, say, /tmp through /tmp/app-exe/app/entity. In /tmp's listing the executable
 * is a file, so the walk never went in and found nothing. So:
 * - listed with file types, the container's folder shows it as a folder, but only when that folder is
 *   outside the working folder: a program that walks its working folder (a linter, a formatter)
 *   with its own executable in it must not find the packed files as well;
 * - the container, listed, holds the one folder "app".
 * The container still stats as the file it is.
 */
function containerListing(
  root: VirtualFs['finder']['root'],
  p: string | undefined,
  options: { withFileTypes?: boolean; encoding?: Encoding; recursive?: boolean },
  realReaddirSync: typeof fs.readdirSync,
): (() => unknown) | undefined {
  if (p === undefined || options.recursive) return undefined;
  const dir = path.resolve(p);
  // The folder above the root and the one above that, before asking whether the first is a container.
  const above = path.dirname(root.path);
  if (dir !== above && dir !== path.dirname(above)) return undefined;
  const container = root.container;
  if (container === undefined) return undefined;
  const Dirent = fs.Dirent as unknown as new (name: string, type: number, path: string) => fs.Dirent;
  const DIR = (fs.constants as unknown as Record<string, number>).UV_DIRENT_DIR!;
  if (dir === container) {
    const name = path.basename(root.path);
    return () => [options.withFileTypes ? new Dirent(name, DIR, dir) : options.encoding === 'buffer' ? Buffer.from(name) : name];
  }
  if (!options.withFileTypes || dir !== path.dirname(container)) return undefined;
  const cwd = process.cwd();
  if (dir === cwd || dir.startsWith(cwd.endsWith(path.sep) ? cwd : cwd + path.sep)) return undefined;
  const own = path.basename(container);
  return () =>
    (realReaddirSync(dir, options as fs.ObjectEncodingOptions & { withFileTypes: true }) as fs.Dirent[]).map((d) =>
      d.name === own && d.isFile() ? new Dirent(own, DIR, dir) : d,
    );
}

interface GlobCall {
  pattern: string | string[];
  options: Record<string, unknown>;
  /** A match of the rewritten call as the original call gives it. */
  back: (match: unknown) => unknown;
}

/**
 * fs.glob's arguments rewritten relative to the virtual root, which becomes the cwd (an absolute
 * pattern makes no use of one), when every pattern is an absolute path under it; undefined otherwise.
 */
function rootedGlob(rootPath: string, underRoot: (p: string) => boolean, pattern: unknown, options: unknown): GlobCall | undefined {
  const patterns = typeof pattern === 'string' ? [pattern] : Array.isArray(pattern) ? pattern : undefined;
  if (!patterns || patterns.length === 0) return undefined;
  if (!patterns.every((p) => typeof p === 'string' && path.isAbsolute(p) && underRoot(p))) return undefined;
  const relative = (p: string): string => path.relative(rootPath, p).split(path.sep).join('/') || '.';
  const opts = { ...((typeof options === 'object' && options !== null ? options : {}) as Record<string, unknown>) };
  const exclude = opts.exclude;
  if (typeof exclude === 'function') {
    opts.exclude = (p: unknown) => (exclude as Fn)(typeof p === 'string' ? path.join(rootPath, p) : p);
  } else if (Array.isArray(exclude)) {
    opts.exclude = exclude.map((e) => (typeof e === 'string' && path.isAbsolute(e) ? relative(e) : e));
  }
  opts.cwd = rootPath;
  const rewritten = (patterns as string[]).map(relative);
  return {
    pattern: typeof pattern === 'string' ? rewritten[0]! : rewritten,
    options: opts,
    back: (m) => (typeof m === 'string' ? path.join(rootPath, m) : m),
  };
}
