/**
 * LOOKUP_PACKAGE_SCOPE: the nearest package.json above a file, not crossing a node_modules folder.
 */
import { dirname, sep } from 'node:path';
import type { PackageConfig, ResolverHost } from './host.js';

export function findPackageScope(host: ResolverHost, filePath: string): PackageConfig | undefined {
  let dir = dirname(filePath);
  for (;;) {
    if (dir.endsWith(`${sep}node_modules`)) return undefined;
    const config = host.readPackage(dir);
    if (config) return config;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
