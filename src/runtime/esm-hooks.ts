/**
 * ES module hooks over a finder: resolve packed specifiers with the shared resolver (the import's own
 * conditions), and load packed modules from memory with the format decided at build time. Written as
 * synchronous functions: module.registerHooks uses them as they are (Node 22.15+), the hooks thread of
 * module.register wraps them (older lines).
 *
 * What the default load step would check is checked here too, since a hook that short-circuits skips
 * it: import attributes (JSON needs `with { type: 'json' }`), unknown file extensions, folders.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Kind } from '../format/layout.js';
import { conditionsKey, defaultConditions } from '../resolver/conditions.js';
import { nodeError } from '../resolver/errors.js';
import { CjsResolver, isRelative, NODE_EXTENSIONS } from '../resolver/cjs.js';
import { EsmResolver, isRelativeOrAbsolutePath, parsePackageName } from '../resolver/esm.js';
import { lookupPaths } from '../resolver/lookup-paths.js';

import type { FinderCore } from './finder.js';
import type { FinderHost } from './host.js';
import { namesSourceMap, sourceMapsEnabled, withInlineSourceMap } from './source-maps.js';

export interface ResolveContext {
  parentURL?: string | undefined;
  conditions?: readonly string[];
  importAttributes?: Record<string, string>;
}
export interface LoadContext {
  format?: string | null | undefined;
  conditions?: readonly string[];
  importAttributes?: Record<string, string>;
}
export interface ResolveResult {
  url: string;
  format?: string | null | undefined;
  shortCircuit?: boolean;
}
export interface LoadResult {
  format: string;
  source?: string | ArrayBuffer | NodeJS.ArrayBufferView | null | undefined;
  shortCircuit?: boolean;
}
type NextResolve = (specifier: string, context?: ResolveContext) => ResolveResult;
type NextLoad = (url: string, context?: LoadContext) => LoadResult;

export interface EsmHookOptions {
  /** Package names resolved beside the executable, not in the blob. */
  external?: ReadonlySet<string>;
  /**
   * Leave CommonJS sources to Node's CommonJS loader (load returns no source): right where Node then
   * reads the file with the fs the overlay patched (Node 20 and 22 before 22.15 in a CommonJS main).
   */
  commonjsWithoutSource?: boolean;
  /** process.version of the Node running the hooks (error codes and WebAssembly support vary). */
  version?: string;
}

/** Node 20 still names these after import assertions; 22 renamed them to attributes. */
function attributeErrors(version: string): { missing: string; incompatible: string; unsupported: string; legacy: boolean } {
  const legacy = Number(version.slice(1).split('.')[0]) < 22;
  return legacy
    ? {
        missing: 'ERR_IMPORT_ASSERTION_TYPE_MISSING',
        incompatible: 'ERR_IMPORT_ASSERTION_TYPE_FAILED',
        unsupported: 'ERR_IMPORT_ASSERTION_TYPE_UNSUPPORTED',
        legacy,
      }
    : {
        missing: 'ERR_IMPORT_ATTRIBUTE_MISSING',
        incompatible: 'ERR_IMPORT_ATTRIBUTE_TYPE_INCOMPATIBLE',
        unsupported: 'ERR_IMPORT_ATTRIBUTE_UNSUPPORTED',
        legacy,
      };
}

/** WebAssembly modules import without a flag from 22.19 and 24.5 (and every later line). */
export function wasmModulesEnabled(version: string, execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.includes('--experimental-wasm-modules')) return true;
  const [major, minor] = version.slice(1).split('.').map(Number) as [number, number];
  return major >= 25 || (major === 24 && minor >= 5) || (major === 22 && minor >= 19);
}

export function createEsmHooks(finder: FinderCore, host: FinderHost, options: EsmHookOptions = {}) {
  const root = finder.root;
  const version = options.version ?? process.version;
  const errors = attributeErrors(version);
  const wasm = wasmModulesEnabled(version);
  const defaults = defaultConditions({ requireModule: Boolean((process.features as { require_module?: boolean }).require_module) }).import;
  const resolvers = new Map<string, EsmResolver>();
  const conditions = defaultConditions({ requireModule: Boolean((process.features as { require_module?: boolean }).require_module) });
  const cjs = new CjsResolver(host, conditions.require, () => NODE_EXTENSIONS);
  // Hermetic: bare specifiers from packed modules are looked up in packed node_modules folders only.
  const packedOnly = (dir: string): boolean => root.contains(dir);
  const resolverFor = (conditions: readonly string[] | undefined): EsmResolver => {
    const key = conditions ? conditions.join('\0') : '';
    let resolver = resolvers.get(key);
    if (!resolver) {
      resolver = new EsmResolver(host, conditions ? new Set(conditions) : defaults, packedOnly);
      resolvers.set(key, resolver);
    }
    return resolver;
  };
  const packedPath = (url: string): string | undefined => {
    if (!url.startsWith('file:')) return undefined;
    const p = fileURLToPath(url);
    return root.contains(p) ? p : undefined;
  };
  // What the file: URLs asked about name in the packed tree: a path under the root (or none) and the
  // entry it finds (-1: none). Resolve and load are asked about the same URLs again and again (a
  // module's URL is its imports' parent), and turning URLs into paths and back cost more than the
  // lookups: about 20 us per hook call, 2.5 ms of yargs 18's start.
  interface PackedUrl {
    path: string | undefined;
    index: number;
  }
  const urls = new Map<string, PackedUrl>();
  const packedUrl = (url: string): PackedUrl => {
    let known = urls.get(url);
    if (known === undefined) {
      const p = packedPath(url);
      const found = p === undefined ? undefined : finder.lookupPath(p);
      known = { path: p, index: found?.ok ? found.index : -1 };
      urls.set(url, known);
    }
    return known;
  };
  /** The URL of a packed module or file (an entry the build resolved to: never a folder or link). */
  const urlOfEntry = new Map<number, string>();
  const urlOf = (i: number): string => {
    let url = urlOfEntry.get(i);
    if (url === undefined) {
      const p = root.pathOf(finder.index.name(i));
      url = pathToFileURL(p).href;
      urlOfEntry.set(i, url);
      if (!urls.has(url)) urls.set(url, { path: p, index: i });
    }
    return url;
  };
  /** The format entry `i` loads as; `file` is its path or URL (for the extension). */
  const formatOfEntry = (i: number, file: string): string | undefined => {
    switch (finder.index.kind(i)) {
      case Kind.module:
        return 'module';
      case Kind.commonjs:
        return 'commonjs';
      case Kind.json:
      case Kind.packageJson:
        return path.extname(file) === '.json' ? 'json' : undefined;
      case Kind.wasm:
        return wasm ? 'wasm' : undefined;
      default:
        return undefined;
    }
  };

  // The build's answers to packed ES modules' literal imports (format/resolutions.ts), for imports
  // made under the conditions it worked them out with.
  const resolutions = finder.meta.resolvedWith?.import !== undefined ? finder.index.resolutions : undefined;
  let lastConditions: readonly string[] | undefined;
  let lastMatch = false;
  const answered = (specifier: string, parent: number, conditions: readonly string[] | undefined): ResolveResult | undefined => {
    if (conditions !== lastConditions || lastConditions === undefined) {
      lastConditions = conditions;
      lastMatch = conditionsKey(conditions ?? defaults) === finder.meta.resolvedWith!.import;
    }
    if (!lastMatch) return undefined;
    if (parent < 0 || finder.index.kind(parent) !== Kind.module) return undefined;
    const target = resolutions!.lookup(parent, specifier);
    if (target === undefined) return undefined;
    const url = urlOf(target);
    const format = formatOfEntry(target, url);
    stats.answered++;
    return { url, ...(format ? { format } : {}), shortCircuit: true };
  };
  const stats = { answered: 0, resolved: 0 };

  function resolve(specifier: string, context: ResolveContext, next: NextResolve): ResolveResult {
    const parentURL = context.parentURL;
    const parent = parentURL === undefined ? undefined : packedUrl(parentURL);
    const fromPacked = parent?.path !== undefined;
    if (resolutions !== undefined && fromPacked && !context.conditions?.includes('require')) {
      const found = answered(specifier, parent!.index, context.conditions);
      if (found) return found;
    }
    // A built-in module is Node's to name (as in its own resolver, before any package lookup). Asked of
    // the resolver below, each cost about 0.1 ms: 14 of the 15 imports yargs 18 left to run time.
    if (specifier.startsWith('node:') || host.isBuiltin(specifier)) return next(specifier, context);
    const target = specifier.startsWith('file:')
      ? packedPath(specifier)
      : path.isAbsolute(specifier)
        ? root.contains(specifier)
          ? specifier
          : undefined
        : undefined;
    if (!fromPacked && target === undefined) return next(specifier, context);
    // require() runs through these hooks too (registerHooks): the CommonJS resolver answers it.
    if (context.conditions?.includes('require') && !context.conditions.includes('import')) return next(specifier, context);
    if (!isRelativeOrAbsolutePath(specifier) && specifier[0] !== '#' && !specifier.includes(':') && options.external?.size) {
      let name: string | undefined;
      try {
        name = parsePackageName(specifier, undefined).packageName;
      } catch {
        /* resolved (and refused) below */
      }
      if (name !== undefined && options.external.has(name)) {
        // An external package is looked up as if imported from beside the executable.
        return next(specifier, {
          ...context,
          parentURL: pathToFileURL(path.join(path.dirname(path.dirname(root.path)), '[external]')).href,
        });
      }
    }
    const base = parentURL ?? pathToFileURL(`${root.path}${path.sep}`).href;
    if (fromPacked) stats.resolved++;
    let url: URL;
    try {
      url = resolverFor(context.conditions).resolve(specifier, base);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_UNSUPPORTED_DIR_IMPORT') {
        addCommonJSHint(err as Error, specifier.startsWith('file:') ? fileURLToPath(specifier) : specifier, base);
      }
      throw err;
    }
    if (url.protocol !== 'file:') return { url: url.href, shortCircuit: true };
    const found = packedUrl(url.href);
    const format = found.path !== undefined && found.index >= 0 ? formatOfEntry(found.index, found.path) : undefined;
    return { url: url.href, ...(format ? { format } : {}), shortCircuit: true };
  }

  /**
   * As Node's default resolver does: when CommonJS resolution would have found something, say so
   * ("Did you mean to import "./dir/index.js"?").
   */
  function addCommonJSHint(error: Error, specifier: string, parentURL: string): void {
    let found: string | undefined;
    try {
      const parent = fileURLToPath(parentURL);
      found = cjs.resolve(specifier, { parentPath: parent, paths: lookupPaths(specifier, parent) });
    } catch {
      return;
    }
    if (!found || found === specifier) return;
    let hint = found;
    if (isRelative(specifier)) {
      hint = path.posix.relative(parentURL.slice('file://'.length, parentURL.lastIndexOf('/')), pathToFileURL(found).pathname);
      if (!hint.startsWith(`..${path.sep}`)) hint = `.${path.sep}${hint}`;
    } else if (!isRelativeOrAbsolutePath(specifier) && !specifier.includes(':')) {
      const slash = specifier.indexOf('/');
      const pkg = slash === -1 ? specifier : specifier.slice(0, slash);
      const needle = `${path.sep}node_modules${path.sep}${pkg}${path.sep}`;
      const at = found.lastIndexOf(needle);
      hint =
        at === -1
          ? pathToFileURL(found).href
          : `${pkg}/${found
              .slice(at + needle.length)
              .split(path.sep)
              .map(encodeURIComponent)
              .join('/')}`;
    }
    const line = `Did you mean to import ${JSON.stringify(hint)}?`;
    const lines = (error.stack ?? '').split('\n');
    lines.splice(1, 0, line);
    error.stack = lines.join('\n');
    error.message += `\n${line}`;
  }

  function load(url: string, context: LoadContext, next: NextLoad): LoadResult {
    if (!url.startsWith('file:')) return next(url, context);
    const { path: p, index: i } = packedUrl(url);
    if (p === undefined) return next(url, context);
    if (i < 0) throw nodeError('ERR_MODULE_NOT_FOUND', `Cannot find module '${p}'`);
    const index = finder.index;
    const kind = index.kind(i);
    if (kind === Kind.directory)
      throw nodeError('ERR_UNSUPPORTED_DIR_IMPORT', `Directory import '${p}' is not supported resolving ES modules`);
    const format = formatOfEntry(i, p) ?? (typeof context.format === 'string' ? context.format : undefined);
    if (!format) {
      throw nodeError('ERR_UNKNOWN_FILE_EXTENSION', `Unknown file extension "${path.extname(p)}" for ${p}`, TypeError);
    }
    checkAttributes(url, format, context.importAttributes ?? {});
    if (format === 'commonjs' && options.commonjsWithoutSource) return { format, source: null, shortCircuit: true };
    const bytes = finder.contents(i);
    if (format === 'wasm') return { format, source: bytes, shortCircuit: true };
    // Node's ES module translator looks for the map the source names (source-maps.ts).
    const mapped = format === 'module' && sourceMapsEnabled() && namesSourceMap(bytes);
    return { format, source: mapped ? withInlineSourceMap(bytes.toString('utf8'), p) : bytes.toString('utf8'), shortCircuit: true };
  }

  /** validateAttributes of Node's default load step. */
  function checkAttributes(url: string, format: string, attributes: Record<string, string>): void {
    const hasType = Object.prototype.hasOwnProperty.call(attributes, 'type');
    const type = attributes.type;
    if (format === 'json') {
      if (!hasType) {
        throw nodeError(
          errors.missing,
          errors.legacy
            ? `Module "${url}" needs an import attribute of type "json"`
            : `Module "${url}" needs an import attribute of "type: json"`,
          TypeError,
        );
      }
      if (type !== 'json') unsupportedType(url, type);
      return;
    }
    if (!hasType) return;
    if (type === 'json') throw nodeError(errors.incompatible, `Module "${url}" is not of type "json"`, TypeError);
    unsupportedType(url, type);
  }

  function unsupportedType(url: string, type: string | undefined): never {
    throw nodeError(
      errors.unsupported,
      errors.legacy
        ? `Import attribute type "${type}" is unsupported`
        : `Import attribute "type" with value "${type}" is not supported in ${url}`,
      TypeError,
    );
  }

  return { resolve, load, stats };
}
