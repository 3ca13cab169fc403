/** fs errors with Node's shape: "CODE: description, syscall 'path'" plus errno, code, syscall, path. */
import type os from 'node:os';
import { builtin } from '../builtins.js';

const DESCRIPTIONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EISDIR: 'illegal operation on a directory',
  EROFS: 'read-only file system',
  EBADF: 'bad file descriptor',
  ELOOP: 'too many symbolic links encountered',
  EINVAL: 'invalid argument',
  EEXIST: 'file already exists',
  EACCES: 'permission denied',
  ENOSYS: 'function not implemented',
};

export type FsErrorCode = keyof typeof DESCRIPTIONS | string;

export function fsError(code: FsErrorCode, syscall: string, path?: string, dest?: string): NodeJS.ErrnoException {
  const description = DESCRIPTIONS[code] ?? code.toLowerCase();
  const message = `${code}: ${description}, ${syscall}${path !== undefined ? ` '${path}'` : ''}${dest !== undefined ? ` -> '${dest}'` : ''}`;
  const err = new Error(message) as NodeJS.ErrnoException & { dest?: string };
  // node:os on first use: loading it would cost every start 0.15 ms, and most starts make no fs error.
  const errno = (builtin<typeof os>('node:os').constants.errno as Record<string, number>)[code];
  err.errno = errno === undefined ? undefined : -errno;
  err.code = code;
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  if (dest !== undefined) err.dest = dest;
  Error.captureStackTrace(err, fsError);
  return err;
}
