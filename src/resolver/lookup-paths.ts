/**
 * Module._nodeModulePaths and the relative/bare split of Module._resolveLookupPaths, for build time
 * (the runtime asks Node's own Module for these).
 */
import { dirname, join, parse, resolve, sep } from 'node:path';
import { isRelative } from './cjs.js';

/** Every "<ancestor>/node_modules" from `from` up to the root, skipping folders named node_modules. */
export function nodeModulePaths(from: string): string[] {
  const paths: string[] = [];
  let dir = resolve(from);
  const root = parse(dir).root;
  for (;;) {
    if (dir === root) {
      paths.push(join(root, 'node_modules'));
      return paths;
    }
    if (!dir.endsWith(`${sep}node_modules`)) paths.push(`${dir}${sep}node_modules`);
    dir = dirname(dir);
  }
}

/** Folders to search for `request` required from the file `parentPath` (no global folders). */
export function lookupPaths(request: string, parentPath: string): string[] {
  return isRelative(request) ? [dirname(parentPath)] : nodeModulePaths(dirname(parentPath));
}
