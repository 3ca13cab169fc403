/**
 * Precomputed resolutions: what the literal require() specifiers of the packed CommonJS modules
 * resolve to at run time, worked out at build time by the runtime's own resolver (CjsResolver over a
 * FinderHost) reading the blob just serialized, so the answers are the ones a start would compute.
 *
 * A specifier is recorded only when its resolution read nothing but packed entries: one that looked
 * at a real path (a package.json above an app without one, a relative path climbing out of the app)
 * depends on the machine the executable runs on, and is left to the runtime.
 */
import path from 'node:path';
import { isAbsolute } from 'node:path';
import type { WriterResolution } from '../format/writer.js';
import { Kind } from '../format/layout.js';
import { CjsResolver, isRelative } from '../resolver/cjs.js';
import { type PackageConfig, type ResolverHost, Stat } from '../resolver/host.js';
import { lookupPaths } from '../resolver/lookup-paths.js';
import { FinderCore } from '../runtime/finder.js';
import { FinderHost } from '../runtime/host.js';

/** Where the blob is mounted while its resolutions are worked out: any absolute path would do. */
const BUILD_ROOT = path.resolve('/oxpack-build/app');

/** The extensions Node registers: the runtime uses the answers only while these are the registered ones. */
export const DEFAULT_EXTENSIONS = ['.js', '.json', '.node'] as const;

/**
 * @param blob the serialized resources (without resolutions)
 * @param requires literal specifiers by the entry name of the CommonJS module that requires them
 * @param conditions the require() conditions of the target Node
 * @param builtins the target's built-in modules
 */
export function precomputeResolutions(
  blob: Buffer,
  requires: ReadonlyMap<string, Iterable<string>>,
  conditions: ReadonlySet<string>,
  builtins: ReadonlySet<string>,
): WriterResolution[] {
  const finder = new FinderCore({ virtualRoot: BUILD_ROOT, relativePathOrigin: path.dirname(BUILD_ROOT) });
  finder.indexBytes(blob, { verify: 'none' });
  const root = finder.root;
  const host = new PackedOnlyHost(new FinderHost(finder), (p) => root.contains(p), builtins);
  const resolver = new CjsResolver(host, conditions, () => DEFAULT_EXTENSIONS);
  const out: WriterResolution[] = [];
  for (const [parent, specifiers] of requires) {
    const i = finder.index.find(parent);
    if (i < 0 || finder.index.kind(i) !== Kind.commonjs) continue;
    const parentPath = root.pathOf(parent);
    for (const specifier of specifiers) {
      if (isAbsolute(specifier)) continue;
      // As the runtime computes them (runtime/cjs-hooks.ts): a bare specifier is searched in packed folders only.
      let paths = lookupPaths(specifier, parentPath);
      if (!isRelative(specifier) && specifier[0] !== '#') paths = paths.filter((p) => root.contains(p));
      host.outside = false;
      let found: string | undefined;
      try {
        found = resolver.resolve(specifier, { parentPath, paths });
      } catch {
        continue; // an error is the runtime's to report, with its own stack
      }
      const target = found === undefined || host.outside ? undefined : root.nameOf(found);
      if (target !== undefined && target !== '') out.push({ parent, specifier, target });
    }
  }
  return out;
}

/** A resolver host that answers for packed paths and notes any question about another path. */
class PackedOnlyHost implements ResolverHost {
  outside = false;

  constructor(
    private readonly inner: ResolverHost,
    private readonly packed: (p: string) => boolean,
    private readonly builtins: ReadonlySet<string>,
  ) {}

  stat(p: string): Stat {
    if (!this.packed(p)) {
      this.outside = true;
      return Stat.missing;
    }
    return this.inner.stat(p);
  }

  realpath(p: string): string {
    if (!this.packed(p)) {
      this.outside = true;
      return p;
    }
    return this.inner.realpath(p);
  }

  readPackage(dir: string): PackageConfig | undefined {
    if (!this.packed(path.join(dir, 'package.json'))) {
      this.outside = true;
      return undefined;
    }
    return this.inner.readPackage(dir);
  }

  isBuiltin(specifier: string): boolean {
    return this.builtins.has(specifier);
  }
}
