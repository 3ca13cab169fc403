/**
 * Writing results: every file goes to a temporary sibling first and is renamed into place, so a
 * failure (a full disk, a signal) never leaves a half-written file where the output should be.
 */
import { lstatSync, realpathSync } from 'node:fs';
import { chmod, mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { OxpackError } from '../errors.js';
import { invalidNameReason } from '../format/names.js';
import type { FileInstall } from './collector.js';
import { temporarySibling, writeError } from './sea.js';
import { track, untrack } from './temp-files.js';

export async function writeAtomically(file: string, data: Uint8Array, mode: number): Promise<void> {
  const temp = temporarySibling(file);
  track(temp);
  try {
    await writeFile(temp, data, { mode });
    await chmod(temp, mode);
    await rename(temp, file);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw writeError(err, file);
  } finally {
    untrack(temp);
  }
}

/**
 * Installs filesystem-relative resources under `dir` (the folder of the executable or resources file).
 * Nothing is ever written outside it: a name that climbs out or is absolute is refused, and so is a
 * folder on the way that is a symbolic link (it could point anywhere). All checks run before any write.
 */
export async function writeInstalls(dir: string, installs: readonly FileInstall[]): Promise<void> {
  if (installs.length === 0) return;
  const root = realpathSync(dir);
  const refuse = (name: string, why: string): OxpackError =>
    new OxpackError('OXPACK_INSTALL', `refusing to install "${name}" beside the output: ${why}`, {
      hint: 'files installed beside the output stay inside its folder; remove the link or choose another --beside-prefix',
    });
  for (const install of installs) {
    const reason = install.path === '' ? 'the name is empty' : invalidNameReason(install.path);
    if (reason) throw refuse(install.path, reason);
    let cursor = root;
    for (const part of install.path.split('/').slice(0, -1)) {
      cursor = path.join(cursor, part);
      const st = lstatSync(cursor, { throwIfNoEntry: false });
      if (!st) break; // created below, as a real folder
      if (st.isSymbolicLink()) throw refuse(install.path, `${cursor} is a symbolic link`);
      if (!st.isDirectory()) throw refuse(install.path, `${cursor} is not a folder`);
    }
  }
  for (const install of installs) {
    const file = path.join(root, ...install.path.split('/'));
    await mkdir(path.dirname(file), { recursive: true }).catch((err) => {
      throw writeError(err, file);
    });
    await writeAtomically(file, install.data, install.executable ? 0o755 : 0o644);
  }
}
