/**
 * The resolver's view of the real disk at build time, with caches: a build stats the same folders and
 * reads the same package.json files many times.
 */
import { lstatSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { join, parse, relative, sep } from 'node:path';
import { type PackageConfig, parsePackageConfig, type ResolverHost, Stat } from '../resolver/host.js';

export class DiskHost implements ResolverHost {
  private readonly stats = new Map<string, Stat>();
  private readonly reals = new Map<string, string>();
  private readonly packages = new Map<string, PackageConfig | undefined>();
  /**
   * Every symlink a resolution went through (link path -> link text): pnpm and workspace layouts reach
   * packages through links, and the packed tree must keep them so that run-time lookups follow them too.
   */
  readonly links = new Map<string, string>();

  /** @param builtins names of the target's built-in modules that can be required without "node:" */
  constructor(private readonly builtins: ReadonlySet<string>) {}

  stat(path: string): Stat {
    let rc = this.stats.get(path);
    if (rc === undefined) {
      const st = statSync(path, { throwIfNoEntry: false });
      rc = st?.isFile() ? Stat.file : st?.isDirectory() ? Stat.directory : Stat.missing;
      this.stats.set(path, rc);
    }
    return rc;
  }

  realpath(path: string): string {
    let real = this.reals.get(path);
    if (real === undefined) {
      real = realpathSync(path);
      this.reals.set(path, real);
      if (real !== path) this.recordLinks(path);
    }
    return real;
  }

  /** Walks `path` component by component and records each symlink met on the way. */
  private recordLinks(path: string): void {
    const { root } = parse(path);
    let current = root;
    for (const part of relative(root, path).split(sep)) {
      const next = join(current, part);
      const st = lstatSync(next, { throwIfNoEntry: false });
      if (st?.isSymbolicLink()) {
        if (!this.links.has(next)) this.links.set(next, readlinkSync(next));
        current = realpathSync(next);
      } else {
        current = next;
      }
    }
  }

  readPackage(dir: string): PackageConfig | undefined {
    if (this.packages.has(dir)) return this.packages.get(dir);
    const jsonPath = join(dir, 'package.json');
    let config: PackageConfig | undefined;
    if (this.stat(jsonPath) === Stat.file) config = parsePackageConfig(readFileSync(jsonPath, 'utf8'), dir, jsonPath);
    this.packages.set(dir, config);
    return config;
  }

  isBuiltin(specifier: string): boolean {
    return this.builtins.has(specifier);
  }
}
