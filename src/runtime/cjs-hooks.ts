/**
 * CommonJS: Module._resolveFilename answers for packed modules (and for packed paths required from
 * anywhere) with the shared resolver over the index, and the .js/.json loaders read packed sources from
 * memory. Real modules requiring real things never reach this code's resolver.
 *
 * Lookups are hermetic: a bare specifier required from packed code is searched in packed node_modules
 * folders only, never in a node_modules folder that happens to sit beside the executable, unless the
 * package was declared external at build time.
 */
import { cjsModule, hasRegisterHooks } from '../builtins.js';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { Kind } from '../format/layout.js';
import { CjsResolver, isRelative, NODE_EXTENSIONS } from '../resolver/cjs.js';
import { conditionsKey, defaultConditions } from '../resolver/conditions.js';
import { moduleNotFound, nodeError } from '../resolver/errors.js';
import { parsePackageName } from '../resolver/esm.js';
import { canUseCodeCache, codeCacheStats, compileAndRun, LocalCodeCache, runAsScript, scriptTextOf } from './code-cache.js';
import { debugLog } from './debug.js';
import { namesSourceMap, sourceMapsEnabled, withInlineSourceMap } from './source-maps.js';
import { fsError } from './fs-errors.js';
import type { FinderCore } from './finder.js';
import type { FinderHost } from './host.js';
import { LOADER_STATE, type LoaderState } from './runtime-script.js';

interface ModuleLike {
  filename?: string | null;
  id?: string;
  paths?: string[];
  parent?: ModuleLike | null;
  exports: unknown;
  _compile(source: string, filename: string, format?: string): unknown;
}

interface ModuleStatics {
  _resolveFilename(request: string, parent: ModuleLike | undefined, isMain: boolean, options?: { paths?: string[] }): string;
  _resolveLookupPaths(request: string, parent: ModuleLike | undefined): string[] | null;
  _nodeModulePaths(from: string): string[];
  _extensions: Record<string, (module: ModuleLike, filename: string) => void>;
  new (id: string, parent: ModuleLike | null): ModuleLike;
}

/** The conditions of this Node process (require(esm) support, --conditions, --no-addons). */
export function processConditions(): ReturnType<typeof defaultConditions> {
  const argv = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  const user: string[] = [];
  argv.forEach((arg, i) => {
    const m = /^(?:--conditions|-C)(?:=(.*))?$/.exec(arg);
    if (m) {
      const value = m[1] ?? argv[i + 1];
      if (value) user.push(value);
    }
  });
  return defaultConditions({
    requireModule: Boolean((process.features as { require_module?: boolean }).require_module),
    packedRequireEsm: hasRegisterHooks(),
    addons: !argv.includes('--no-addons'),
    user,
  });
}

/**
 * Whether the registered extensions are Node's own, in order: those the build resolved with. Asked at
 * every require the build answered, so it walks the keys instead of copying them (Object.keys and
 * every() took 0.3 ms of ESLint's start). Module._extensions has no prototype: for-in sees its own keys.
 */
function defaultExtensions(extensions: object): boolean {
  let i = 0;
  for (const key in extensions) if (key !== NODE_EXTENSIONS[i++]) return false;
  return i === NODE_EXTENSIONS.length;
}

/**
 * A module this small does not open the local cache file (a hello world would pay more for reading it
 * than its compile costs); once a larger one has, small ones use it too.
 */
const LOCAL_CACHE_MIN_SIZE = 1024;

/**
 * @param ensureEsm called before a packed ES module, or packed code that may import() one, is compiled:
 *   the ES module hooks must be in place by then.
 */
export function installCjsHooks(
  finder: FinderCore,
  host: FinderHost,
  ensureEsm: () => void = () => undefined,
  deferredImport?: () => symbol,
  { localCodeCache = true }: { localCodeCache?: boolean } = {},
): () => void {
  const M = cjsModule as unknown as ModuleStatics;
  const root = finder.root;
  const index = finder.index;
  const conditions = processConditions();
  const resolver = new CjsResolver(host, conditions.require, () => Object.keys(M._extensions));
  const external = new Set((finder.meta.external as string[] | undefined) ?? []);
  // The build's answers to the literal require() specifiers of packed modules (format/resolutions.ts),
  // worked out under the target's conditions: a process started with others resolves everything itself.
  const resolutions = finder.meta.resolvedWith?.require === conditionsKey(conditions.require) ? index.resolutions : undefined;
  /** Entry number of each packed module loaded, by filename: the parents those answers are kept by. */
  const loaded = new Map<string, number>();
  const resolveStats = { answered: 0, resolved: 0 };
  /** The entries of the files those answers named, by filename. */
  const answeredEntries = new Map<string, number>();
  const logResolve = debugLog('resolve');
  if (logResolve) {
    process.once('exit', () =>
      logResolve(
        `${resolveStats.answered} packed requests answered by the build, ${resolveStats.resolved} resolved at run time` +
          (index.resolutions && !resolutions ? ' (the build resolved under other conditions)' : ''),
      ),
    );
  }
  // Lines with require(esm) but without in-thread hooks link a required ES module's imports with
  // Node's default resolver (the build warns of the literal cases: trace.ts, require-esm).
  const packedRequireEsm = hasRegisterHooks();
  const originalResolve = M._resolveFilename;
  const originals = { js: M._extensions['.js']!, json: M._extensions['.json']! };
  // Under --inspect-brk Node's own _compile stops at the first line: leave debugging sessions to it.
  const debugging = process.execArgv.some((a) => a.startsWith('--inspect'));
  const useCodeCache = canUseCodeCache && !debugging;
  const logCache = debugLog('cache');
  // Caches made on this machine by an earlier start (see LocalCodeCache), when the build asked for them.
  const localCache = localCodeCache && !debugging && finder.meta.localCodeCache === true ? new LocalCodeCache(finder, logCache) : undefined;
  if (logCache) process.once('exit', () => logCache(`code cache: ${codeCacheStats.used} used, ${codeCacheStats.rejected} rejected`));

  /** Resolves an external package as if required from a file beside the container. */
  const externalParent = (): ModuleLike => {
    const dir = path.dirname(path.dirname(root.path)); // the folder holding the executable
    const parent = new M(path.join(dir, '[external]'), null);
    parent.filename = parent.id!;
    parent.paths = M._nodeModulePaths(dir);
    return parent;
  };

  M._resolveFilename = function (this: unknown, request, parent, isMain, options) {
    if (typeof request !== 'string' || request.startsWith('node:') || cjsModule.isBuiltin(request)) {
      return originalResolve.call(this, request, parent, isMain, options);
    }
    const parentPath = typeof parent?.filename === 'string' ? parent.filename : undefined;
    if (resolutions !== undefined && parentPath !== undefined && options?.paths === undefined) {
      const from = loaded.get(parentPath);
      // The answers assume Node's own extensions, in Node's order (a registered ".ts" could change them).
      if (from !== undefined && defaultExtensions(M._extensions)) {
        const to = resolutions.lookup(from, request);
        if (to !== undefined) {
          resolveStats.answered++;
          const filename = root.pathOf(index.name(to));
          answeredEntries.set(filename, to); // the loader asks for it next: no second lookup
          return filename;
        }
      }
    }
    const fromPacked = parentPath !== undefined && root.contains(parentPath);
    const absolute = path.isAbsolute(request);
    const toPacked = absolute && root.contains(request);
    const viaPaths = Array.isArray(options?.paths) && options!.paths.some((p) => typeof p === 'string' && root.contains(path.resolve(p)));
    if (!fromPacked && !toPacked && !viaPaths) return originalResolve.call(this, request, parent, isMain, options);
    // require.resolve(x, { paths }) from packed code, naming real folders only (a CLI finding a package
    // in the user's project): resolved there, as asked, not among the packed packages.
    if (Array.isArray(options?.paths) && !viaPaths && !toPacked) return originalResolve.call(this, request, parent, isMain, options);

    const bare = !absolute && !isRelative(request) && request[0] !== '#';
    if (bare && external.size > 0) {
      let name: string | undefined;
      try {
        name = parsePackageName(request, undefined).packageName;
      } catch {
        /* not a package name: resolved (and refused) below */
      }
      if (name !== undefined && external.has(name)) return originalResolve.call(this, request, externalParent(), isMain);
    }

    let paths: string[];
    if (Array.isArray(options?.paths)) {
      if (isRelative(request)) paths = options!.paths;
      else {
        const fake = new M('', null);
        paths = [];
        for (const p of options!.paths) {
          fake.paths = M._nodeModulePaths(p);
          for (const lookup of M._resolveLookupPaths(request, fake) ?? []) if (!paths.includes(lookup)) paths.push(lookup);
        }
      }
    } else {
      paths = M._resolveLookupPaths(request, parent) ?? [];
    }
    if (bare) paths = paths.filter((p) => root.contains(p));

    resolveStats.resolved++;
    const found = resolver.resolve(request, { parentPath, paths });
    if (found !== undefined) return found;
    const stack: string[] = [];
    for (let cursor: ModuleLike | null | undefined = parent; cursor; cursor = cursor.parent) stack.push(cursor.filename || cursor.id || '');
    throw moduleNotFound(request, stack);
  };

  /** The packed entry behind `filename`, or undefined for a real file. */
  const packedEntry = (filename: string): number | undefined => {
    const answered = answeredEntries.get(filename);
    if (answered !== undefined) return answered; // a file, checked when the section was read
    const found = finder.lookupPath(filename);
    if (found === undefined) return undefined;
    if (!found.ok) throw fsError(found.code, 'open', filename);
    if (index.kind(found.index) === Kind.directory) throw fsError('EISDIR', 'read');
    return found.index;
  };

  M._extensions['.js'] = function (this: unknown, module, filename) {
    const i = packedEntry(filename);
    if (i === undefined) return originals.js.call(this, module, filename);
    // CommonJS parents only: an ES module's records answer its imports (createRequire() in it resolves here).
    if (resolutions !== undefined && index.kind(i) === Kind.commonjs) loaded.set(filename, i);
    const bytes = finder.contents(i);
    // Decoded only where Node compiles it: runAsScript decodes the bytes inside their wrapper.
    let text: string | undefined;
    const source = (): string => (text ??= bytes.toString('utf8'));
    // Code whose import() calls are all its own expressions starts the hooks at its first call, where
    // they start on demand (esm-install.ts deferUntilFirstImport); other code that may call it, now.
    const deferred = deferredImport && index.callsImport(i) && index.importsInExpressionsOnly(i) && !debugging;
    if (index.kind(i) === Kind.module || (index.callsImport(i) && !deferred)) ensureEsm();
    if (index.kind(i) === Kind.module) {
      if ((process.features as { require_module?: boolean }).require_module) {
        // Node's require(esm); for the main module it hands over to the ES module loader (with our
        // hooks), which also runs a top-level await to the end.
        if (packedRequireEsm) {
          module._compile(source(), filename, 'module');
          return;
        }
        try {
          module._compile(source(), filename, 'module');
        } catch (err) {
          throw explainRequireEsm(err, packedEntry);
        }
        return;
      }
      if (module.id === '.') {
        // Lines without require(esm) (20.12-20.18): the entry point is imported instead.
        // Through the SEA loader's import() where there is one: this bundle runs as a vm.Script there.
        const load = (globalThis as Record<symbol, LoaderState | undefined>)[LOADER_STATE]?.import;
        (load ? load(pathToFileURL(filename).href) : import(pathToFileURL(filename).href)).catch((err: unknown) => {
          process.nextTick(() => {
            throw err;
          });
        });
        return;
      }
      throw nodeError('ERR_REQUIRE_ESM', `require() of ES Module ${filename} not supported.`);
    }
    // Deferred code's import() calls reach the ES module loader through the option it is compiled
    // with. From a cache too on Node 22+, whose V8 gives a script consumed from a cache the options of
    // its compile; Node 20's V8 drops them, and import() then fails: there it compiles from source
    // (compileAndRun below), as it does wherever no cache is at hand. Other code that calls import()
    // compiles from source through Node's own loader, which gives it its import().
    const cachedImport = deferred && canUseCodeCache;
    // With source maps on (--enable-source-maps, process.setSourceMapsEnabled), a module that names
    // its map compiles through Node's own loader, which registers the map for stack traces; a script
    // compiled here would be unknown to it.
    const mapped = sourceMapsEnabled() && namesSourceMap(bytes);
    if ((!index.callsImport(i) || cachedImport) && !mapped) {
      // The build's cache (Node 22+: top levels only) until this machine has made a fuller one.
      const built = useCodeCache ? index.codeCache(i) : undefined;
      if (localCache || built) {
        const local = localCache && (bytes.length >= LOCAL_CACHE_MIN_SIZE || localCache.opened) ? localCache.get(i) : undefined;
        const result = runAsScript(
          module as never,
          index.scriptText(i) ?? scriptTextOf(bytes),
          filename,
          {
            ...(local || built ? { cachedData: local ?? built } : {}),
            ...(cachedImport ? { importModuleDynamically: deferredImport!() } : {}),
            // Made at exit, after the run compiled what it needed; again when V8 refused this one.
            // Compiled here rather than by Node's _compile even without a cache: about 70 us less each.
            beforeRun: (script, rejected) => {
              if (localCache && ((!local && localCache.opened) || rejected)) localCache.putAtExit(i, script);
            },
          },
          codeCacheStats,
          logCache,
        );
        if (result.ran) return;
      }
    }
    if (deferred && compileAndRun(module as never, source(), filename, deferredImport()).ran) return;
    // Two arguments, as Node's own loader calls it on every line: the third changed meaning over time.
    module._compile(mapped ? withInlineSourceMap(source(), filename) : source(), filename);
  };

  M._extensions['.json'] = function (this: unknown, module, filename) {
    const i = packedEntry(filename);
    if (i === undefined) return originals.json.call(this, module, filename);
    const text = finder.contents(i).toString('utf8');
    try {
      module.exports = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    } catch (err) {
      (err as Error).message = `${filename}: ${(err as Error).message}`;
      throw err;
    }
  };

  return () => {
    M._resolveFilename = originalResolve;
    M._extensions['.js'] = originals.js;
    M._extensions['.json'] = originals.json;
  };
}

/**
 * The error of a require() of a packed ES module whose own import was not found where Node resolves it
 * with its default resolver (20.19+, 22.12-22.14), with the cause and the way out added: Node's message
 * names a packed file that "cannot be found", which would send the user looking for a missing package.
 */
function explainRequireEsm(err: unknown, packedEntry: (filename: string) => number | undefined): unknown {
  const e = err as { code?: unknown; message?: unknown; stack?: unknown } | null;
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || typeof e.message !== 'string') return err;
  const from = / imported from (.+)$/.exec(e.message)?.[1];
  if (from === undefined || packedEntry(from) === undefined) return err;
  const message =
    `${e.message} (in the executable: Node ${process.version} links the imports of an ES module loaded by require() ` +
    'with its default resolver, which cannot see packed files; build for Node 22.15 or later, or load the module with import())';
  if (typeof e.stack === 'string') e.stack = e.stack.replace(e.message, message);
  e.message = message;
  return err;
}
