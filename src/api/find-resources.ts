/**
 * findResourcesInPath(dir): every file, folder and symbolic link under one folder as resources,
 * classified by kind the way a build classifies them (oxidized_importer's find_resources_in_path).
 * Nothing is dropped: files that are not modules are assets.
 */
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';
import { detectedKind, kindByName } from '../build/classify.js';
import type { Resource } from '../build/collector.js';
import { DiskHost } from '../build/disk-host.js';
import { hostTarget } from '../build/target.js';
import { OxpackError } from '../errors.js';
import type { ResourceKind } from '../format/layout.js';

export interface FindOptions {
  /**
   * Whether untyped .js files with ESM syntax count as ES modules (Node 20.19+ and 22.7+ detect them).
   * Default: as the Node running this.
   */
  detectModule?: boolean;
}

export function findResourcesInPath(dir: string, options: FindOptions = {}): Resource[] {
  const root = path.resolve(dir);
  if (!lstatSync(root, { throwIfNoEntry: false })?.isDirectory()) {
    throw new OxpackError('OXPACK_RESOURCE', `path is not a directory: ${root}`);
  }
  const target = hostTarget();
  const host = new DiskHost(new Set(target.builtins));
  const detect = options.detectModule ?? target.detectModule;
  const entries = fg.sync('**', { cwd: root, dot: true, onlyFiles: false, followSymbolicLinks: false, markDirectories: false });
  const resources: Resource[] = [];
  for (const rel of entries.sort()) {
    const file = path.join(root, rel);
    const name = rel.split(path.sep).join('/');
    const st = lstatSync(file);
    if (st.isSymbolicLink()) {
      resources.push({ name, kind: 'symlink', data: Buffer.from(readlinkSync(file).split(path.sep).join('/')), sourcePath: file });
    } else if (st.isDirectory()) {
      resources.push({ name, kind: 'directory', sourcePath: file });
    } else if (st.isFile()) {
      const data = readFileSync(file);
      let kind: ResourceKind = kindByName(file, host, detect) ?? detectedKind(data.toString('utf8'));
      if (kind === 'package.json' && !parses(data)) kind = 'asset';
      resources.push({ name, kind, data, executable: (st.mode & 0o111) !== 0, sourcePath: file });
    }
  }
  return resources;
}

function parses(data: Buffer): boolean {
  try {
    JSON.parse(data.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}
