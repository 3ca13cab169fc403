/**
 * The per-user cache folder, shared by the build (Node binaries) and the runtime (addons, code caches):
 * $OXPACK_CACHE_DIR, else the platform's cache location. It imports nothing of oxpack but
 * builtins.ts: the runtime bundle carries it.
 */
import type os from 'node:os';
import path from 'node:path';
import { builtin } from './builtins.js';

export function userCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.OXPACK_CACHE_DIR) return path.resolve(env.OXPACK_CACHE_DIR);
  // The home folder as os.homedir() finds it (HOME, or USERPROFILE on Windows, first), without
  // loading node:os where they are set: a packed app opens its code caches here at every start.
  const home = (process.platform === 'win32' ? env.USERPROFILE : env.HOME) || builtin<typeof os>('node:os').homedir();
  if (process.platform === 'win32') return path.join(env.LOCALAPPDATA || path.join(home, 'AppData', 'Local'), 'oxpack', 'Cache');
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Caches', 'oxpack');
  return path.join(env.XDG_CACHE_HOME || path.join(home, '.cache'), 'oxpack');
}
