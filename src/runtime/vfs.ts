/**
 * Read-only file operations on packed paths, with the results and errors fs itself gives. The overlay
 * (fs-overlay.ts) calls these for virtual paths and file descriptors only; everything else stays real.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Kind } from '../format/layout.js';
import { fsError } from './fs-errors.js';
import type { FinderCore } from './finder.js';

type Encoding = BufferEncoding | 'buffer' | null | undefined;

const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
/** Virtual descriptors live far above any number the OS hands out, so they never collide. */
const FIRST_FD = 0x4000_0000;

interface OpenFile {
  index: number;
  path: string;
  position: number;
  data?: Buffer;
}

const realStatSync = fs.statSync;
const realWriteFileSync = fs.writeFileSync;
const realExistsSync = fs.existsSync;

export class VirtualFs {
  private readonly fds = new Map<number, OpenFile>();
  private nextFd = FIRST_FD;
  private template: fs.Stats | undefined;
  private bigTemplate: fs.BigIntStats | undefined;

  constructor(readonly finder: FinderCore) {}

  /** Entry of an existing path, following links (or not, for lstat); throws the fs error otherwise. */
  entry(p: string, syscall: string, followLast = true): number {
    const found = this.finder.lookupPath(p, followLast);
    if (!found || !found.ok) throw fsError(found && !found.ok ? found.code : 'ENOENT', syscall, p);
    return found.index;
  }

  exists(p: string): boolean {
    const found = this.finder.lookupPath(p);
    return Boolean(found?.ok);
  }

  isDirectory(i: number): boolean {
    return this.finder.index.kind(i) === Kind.directory;
  }

  /** A fresh, writable copy of a file's bytes (callers may modify what fs returns). */
  readFile(p: string, encoding: Encoding): Buffer | string {
    const i = this.entry(p, 'open');
    if (this.isDirectory(i)) throw fsError('EISDIR', 'read');
    return this.encode(this.finder.contents(i), encoding, true);
  }

  stat(p: string, bigint: boolean, followLast = true): fs.Stats | fs.BigIntStats {
    return this.statsOf(this.entry(p, followLast ? 'stat' : 'lstat', followLast), bigint);
  }

  /** stat() for statSync's throwIfNoEntry: false, which returns undefined for ENOENT only. */
  tryStat(p: string, bigint: boolean, followLast: boolean): fs.Stats | fs.BigIntStats | undefined {
    const found = this.finder.lookupPath(p, followLast);
    if (found?.ok) return this.statsOf(found.index, bigint);
    if (!found || found.code === 'ENOENT') return undefined;
    throw fsError(found.code, followLast ? 'stat' : 'lstat', p);
  }

  statsOf(i: number, bigint: boolean): fs.Stats | fs.BigIntStats {
    const idx = this.finder.index;
    const kind = idx.kind(i);
    const executable = idx.isExecutable(i);
    const type = kind === Kind.directory ? S_IFDIR : kind === Kind.symlink ? S_IFLNK : S_IFREG;
    // Packed files are read-only: r-- for everyone, plus x where the file was executable.
    const mode = type | 0o444 | (executable || kind === Kind.directory ? 0o111 : 0) | (kind === Kind.symlink ? 0o777 : 0);
    const size = kind === Kind.directory ? 4096 : kind === Kind.symlink ? idx.storedSize(i) : idx.size(i);
    // Times, owner and device are the container's: the files came with it.
    const template = bigint
      ? (this.bigTemplate ??= realStatSync(this.container(), { bigint: true }))
      : (this.template ??= realStatSync(this.container()));
    const stats = Object.assign(Object.create(Object.getPrototypeOf(template)), template);
    const big = (n: number): number | bigint => (bigint ? BigInt(n) : n);
    stats.mode = big(mode);
    stats.size = big(size);
    stats.ino = big(i + 1);
    stats.nlink = big(kind === Kind.directory ? 2 : 1);
    stats.blocks = big(Math.ceil(size / 512));
    stats.blksize = big(4096);
    stats.rdev = big(0);
    return stats;
  }

  private container(): string {
    return path.dirname(this.finder.root.path);
  }

  readdir(p: string, options: { withFileTypes?: boolean; encoding?: Encoding; recursive?: boolean }): (string | Buffer | fs.Dirent)[] {
    const dir = this.entry(p, 'scandir');
    if (!this.isDirectory(dir)) throw fsError('ENOTDIR', 'scandir', p);
    const base = path.resolve(p);
    const out: (string | Buffer | fs.Dirent)[] = [];
    const visit = (i: number, prefix: string, parentPath: string): void => {
      const idx = this.finder.index;
      const children = idx.children(i);
      const names = idx.childNames(i);
      children.forEach((child, k) => {
        const rel = prefix + names[k]!;
        if (options.withFileTypes) out.push(this.dirent(names[k]!, child, parentPath));
        else out.push(options.encoding === 'buffer' ? Buffer.from(rel) : rel);
        if (options.recursive && idx.kind(child) === Kind.directory) {
          visit(child, `${rel}${path.sep}`, path.join(parentPath, names[k]!));
        }
      });
    };
    visit(dir, '', base);
    return out;
  }

  dirent(name: string, i: number, parentPath: string): fs.Dirent {
    const kind = this.finder.index.kind(i);
    const c = fs.constants as unknown as Record<string, number>;
    const type = kind === Kind.directory ? c.UV_DIRENT_DIR! : kind === Kind.symlink ? c.UV_DIRENT_LINK! : c.UV_DIRENT_FILE!;
    const Dirent = fs.Dirent as unknown as new (name: string, type: number, path: string) => fs.Dirent;
    return new Dirent(name, type, parentPath);
  }

  realpath(p: string, encoding: Encoding): string | Buffer {
    const found = this.finder.lookupPath(p);
    if (!found || !found.ok) throw fsError(found && !found.ok ? found.code : 'ENOENT', 'realpath', p);
    const real = this.finder.root.pathOf(found.name);
    return encoding === 'buffer' ? Buffer.from(real) : real;
  }

  readlink(p: string, encoding: Encoding): string | Buffer {
    const i = this.entry(p, 'readlink', false);
    if (this.finder.index.kind(i) !== Kind.symlink) throw fsError('EINVAL', 'readlink', p);
    const text = this.finder.index.linkTarget(i).split('/').join(path.sep);
    return encoding === 'buffer' ? Buffer.from(text) : text;
  }

  access(p: string, mode: number | undefined): void {
    const i = this.entry(p, 'access');
    const m = mode ?? fs.constants.F_OK;
    if (m & fs.constants.W_OK) throw fsError('EROFS', 'access', p);
    if (m & fs.constants.X_OK && !this.finder.index.isExecutable(i)) throw fsError('EACCES', 'access', p);
  }

  // --- file descriptors ---

  open(p: string, flags: string | number | undefined): number {
    if (isWriteFlag(flags)) {
      // Creating or writing under the virtual root is refused, whether or not the file exists.
      throw fsError('EROFS', 'open', p);
    }
    const i = this.entry(p, 'open');
    const fd = this.allocate();
    this.fds.set(fd, { index: i, path: p, position: 0 });
    return fd;
  }

  isOpen(fd: unknown): fd is number {
    return typeof fd === 'number' && this.fds.has(fd);
  }

  private allocate(): number {
    while (this.fds.has(this.nextFd)) this.nextFd++;
    return this.nextFd++;
  }

  private file(fd: number, syscall: string): OpenFile {
    const file = this.fds.get(fd);
    if (!file) throw fsError('EBADF', syscall);
    return file;
  }

  private dataOf(file: OpenFile, syscall: string): Buffer {
    if (this.isDirectory(file.index)) throw fsError('EISDIR', syscall);
    return (file.data ??= this.finder.contents(file.index));
  }

  /** read(fd, buffer, offset, length, position): returns the number of bytes copied. */
  read(fd: number, buffer: NodeJS.ArrayBufferView, offset: number, length: number, position: number | bigint | null | undefined): number {
    const file = this.file(fd, 'read');
    const data = this.dataOf(file, 'read');
    const usePosition = typeof position === 'bigint' ? Number(position) : typeof position === 'number' && position >= 0 ? position : -1;
    const start = usePosition >= 0 ? usePosition : file.position;
    const target = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    const n = Math.max(0, Math.min(length, data.length - start, target.length - offset));
    if (n > 0) target.set(data.subarray(start, start + n), offset);
    if (usePosition < 0) file.position = start + n;
    return n;
  }

  /** readv(fd, buffers, position): fills the buffers in turn; returns the number of bytes copied. */
  readv(fd: number, buffers: readonly NodeJS.ArrayBufferView[], position: number | bigint | null | undefined): number {
    let at = typeof position === 'bigint' ? Number(position) : typeof position === 'number' && position >= 0 ? position : undefined;
    let total = 0;
    for (const buffer of buffers) {
      const n = this.read(fd, buffer, 0, buffer.byteLength, at);
      total += n;
      if (at !== undefined) at += n;
      if (n < buffer.byteLength) break;
    }
    return total;
  }

  /** The folder (or file) on the real disk that holds the packed tree: what statfs reports on. */
  hostPath(): string {
    return this.container();
  }

  /** The rest of an open file from its current position (readFile on an fd). */
  readRest(fd: number, encoding: Encoding): Buffer | string {
    const file = this.file(fd, 'read');
    const data = this.dataOf(file, 'read');
    const rest = data.subarray(file.position);
    file.position = data.length;
    return this.encode(rest, encoding, true);
  }

  fstat(fd: number, bigint: boolean): fs.Stats | fs.BigIntStats {
    return this.statsOf(this.file(fd, 'fstat').index, bigint);
  }

  close(fd: number): void {
    this.file(fd, 'close');
    this.fds.delete(fd);
    if (fd < this.nextFd) this.nextFd = Math.max(FIRST_FD, fd);
  }

  pathOfFd(fd: number): string {
    return this.file(fd, 'fstat').path;
  }

  // --- copying out ---

  copyFile(src: string, dest: string, mode: number | undefined): void {
    const i = this.entry(src, 'copyfile');
    if (this.isDirectory(i)) throw fsError('EISDIR', 'copyfile', src, dest);
    if ((mode ?? 0) & fs.constants.COPYFILE_EXCL && realExistsSync(dest)) throw fsError('EEXIST', 'copyfile', src, dest);
    realWriteFileSync(dest, this.finder.contents(i), { mode: this.finder.index.isExecutable(i) ? 0o755 : 0o644 });
  }

  private encode(data: Buffer, encoding: Encoding, copy: boolean): Buffer | string {
    if (encoding && encoding !== 'buffer') return data.toString(encoding);
    // The blob may be a read-only mapping: hand out a copy that the caller is free to modify.
    return copy ? Buffer.from(data) : data;
  }
}

/** Any flag that writes, creates, truncates or appends. */
export function isWriteFlag(flags: string | number | undefined): boolean {
  if (flags === undefined || flags === null) return false;
  if (typeof flags === 'number') {
    const { O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND } = fs.constants;
    return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND)) !== 0;
  }
  return /[wa+]/.test(flags);
}
