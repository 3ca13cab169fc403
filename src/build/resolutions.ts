/**
 * Precomputed resolutions: what the literal require() specifiers of the packed CommonJS modules, and
 * the literal import specifiers of the packed ES modules, resolve to at run time, worked out at build
 * time by the runtime's own resolvers (CjsResolver, EsmResolver over a FinderHost) reading the blob
 * just serialized, so the answers are the ones a start would compute.
 *
 * A specifier is recorded only when its resolution read nothing but packed entries: one that looked
 * at a real path (a package.json above an app without one, a relative path climbing out of the app)
 * depends on the machine the executable runs on, and is left to the runtime.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { WriterResolution } from '../format/writer.js';
import { Kind } from '../format/layout.js';
import { CjsResolver, isRelative, NODE_EXTENSIONS } from '../resolver/cjs.js';
import type { ConditionSets } from '../resolver/conditions.js';
import { EsmResolver } from '../resolver/esm.js';
import { type PackageConfig, type ResolverHost, Stat } from '../resolver/host.js';
import { lookupPaths } from '../resolver/lookup-paths.js';
import { FinderCore } from '../runtime/finder.js';
import { FinderHost } from '../runtime/host.js';

/** Where the blob is mounted while its resolutions are worked out: any absolute path would do. */
const BUILD_ROOT = path.resolve('/oxpack-build/app');

export interface PackedSpecifiers {
  /** Literal require() specifiers by the entry name of the CommonJS module that requires them. */
  requires: ReadonlyMap<string, Iterable<string>>;
  /** Literal import specifiers by the entry name of the ES module that imports them. */
  imports?: ReadonlyMap<string, Iterable<string>>;
}

/**
 * @param blob serialized resources (of which only names, kinds, links and package.json files are read)
 * @param conditions the target Node's require() and import conditions
 * @param builtins the target's built-in modules
 */
export function precomputeResolutions(
  blob: Buffer,
  specifiers: PackedSpecifiers,
  conditions: ConditionSets,
  builtins: ReadonlySet<string>,
): WriterResolution[] {
  const finder = new FinderCore({ virtualRoot: BUILD_ROOT, relativePathOrigin: path.dirname(BUILD_ROOT) });
  finder.indexBytes(blob, { verify: 'none' });
  const root = finder.root;
  const packed = (p: string): boolean => root.contains(p);
  const host = new PackedOnlyHost(new FinderHost(finder), packed, builtins);
  const out: WriterResolution[] = [];
  /** Each specifier of each module of `kind`, resolved by `resolve` (a path, or undefined). */
  const answer = (
    table: ReadonlyMap<string, Iterable<string>> | undefined,
    kind: number,
    resolve: (specifier: string, parentPath: string) => string | undefined,
  ): void => {
    for (const [parent, list] of table ?? []) {
      const i = finder.index.find(parent);
      if (i < 0 || finder.index.kind(i) !== kind) continue;
      const parentPath = root.pathOf(parent);
      for (const specifier of list) {
        if (path.isAbsolute(specifier)) continue;
        host.outside = false;
        let found: string | undefined;
        try {
          found = resolve(specifier, parentPath);
        } catch {
          continue; // an error is the runtime's to report, with its own stack
        }
        const target = found === undefined || host.outside ? undefined : root.nameOf(found);
        if (target !== undefined && target !== '') out.push({ parent, specifier, target });
      }
    }
  };

  const cjs = new CjsResolver(host, conditions.require, () => NODE_EXTENSIONS);
  answer(specifiers.requires, Kind.commonjs, (specifier, parentPath) => {
    // As the runtime computes them (runtime/cjs-hooks.ts): a bare specifier is searched in packed folders only.
    let paths = lookupPaths(specifier, parentPath);
    if (!isRelative(specifier) && specifier[0] !== '#') paths = paths.filter(packed);
    return cjs.resolve(specifier, { parentPath, paths });
  });
  // As runtime/esm-hooks.ts resolves them: bare specifiers in packed node_modules folders only.
  const esm = new EsmResolver(host, conditions.import, packed);
  answer(specifiers.imports, Kind.module, (specifier, parentPath) => {
    const url = esm.resolve(specifier, pathToFileURL(parentPath));
    if (url.protocol !== 'file:') return undefined;
    const found = fileURLToPath(url);
    // The runtime spells an answer with pathToFileURL: the module map is keyed by URL, so an answer
    // spelt otherwise than the resolver spells it would load the module twice.
    return pathToFileURL(found).href === url.href ? found : undefined;
  });
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
