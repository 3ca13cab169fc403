/**
 * The resolver's view at run time: paths under the virtual root are answered from the index, every
 * other path from the real disk (a packed module may require an absolute real path, and a real module
 * may require a packed one).
 */
import fs from 'node:fs';
import { cjsModule } from '../builtins.js';
import path from 'node:path';
import { Kind } from '../format/layout.js';
import { type PackageConfig, parsePackageConfig, type ResolverHost, Stat } from '../resolver/host.js';
import type { FinderCore } from './finder.js';

/** Real fs functions captured before the overlay is installed. */
const real = {
  statSync: fs.statSync,
  realpathSync: fs.realpathSync,
  readFileSync: fs.readFileSync,
};

export class FinderHost implements ResolverHost {
  private readonly packages = new Map<string, PackageConfig | undefined>();
  private readonly builtins = new Set(cjsModule.builtinModules.filter((m) => !m.startsWith('node:')));

  constructor(private readonly finder: FinderCore) {}

  stat(p: string): Stat {
    const found = this.finder.lookupPath(p);
    if (found === undefined) {
      const st = real.statSync(p, { throwIfNoEntry: false });
      return st?.isFile() ? Stat.file : st?.isDirectory() ? Stat.directory : Stat.missing;
    }
    if (!found.ok) return Stat.missing;
    return this.finder.index.kind(found.index) === Kind.directory ? Stat.directory : Stat.file;
  }

  realpath(p: string): string {
    const found = this.finder.lookupPath(p);
    if (found === undefined) return real.realpathSync(p);
    return found.ok ? this.finder.root.pathOf(found.name) : p;
  }

  readPackage(dir: string): PackageConfig | undefined {
    if (this.packages.has(dir)) return this.packages.get(dir);
    const jsonPath = path.join(dir, 'package.json');
    let config: PackageConfig | undefined;
    const found = this.finder.lookupPath(jsonPath);
    if (found === undefined) {
      const text = readRealText(jsonPath);
      if (text !== undefined) config = parsePackageConfig(text, dir, jsonPath);
    } else if (found.ok && this.finder.index.kind(found.index) !== Kind.directory) {
      config = parsePackageConfig(this.finder.contents(found.index).toString('utf8'), dir, jsonPath);
    }
    this.packages.set(dir, config);
    return config;
  }

  isBuiltin(specifier: string): boolean {
    return this.builtins.has(specifier);
  }
}

function readRealText(file: string): string | undefined {
  try {
    return real.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
