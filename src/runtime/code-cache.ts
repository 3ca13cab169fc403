/**
 * How the runtime compiles packed CommonJS modules, and the code caches it compiles them with: each as
 * a vm.Script of the same text Node would compile (scriptSourceOf; positions in stack traces are the
 * file's own), with the build's cache (Node 22+) or one this machine made at an earlier start
 * (LocalCodeCache), then called the way Module.prototype._compile calls it. A cache V8 rejects
 * (another V8, other flags) only costs the compile it would have cost anyway; rejections are counted
 * and logged by OXPACK_DEBUG=cache.
 */
import { isAscii } from 'node:buffer';
import fs from 'node:fs';
import { murmur3 } from '../format/checksum.js';
import { SCRIPT_HEAD, SCRIPT_TAIL } from '../format/layout.js';
import { cjsModule, publicModule } from '../builtins.js';
import path from 'node:path';
import vm from 'node:vm';
import { userCacheDir } from '../cache-location.js';
import { existingOwnFolders, ownFolders, replaceFile } from './addon-cache.js';
import { CodeCacheFile, encodeCodeCacheFile } from './code-cache-file.js';
import type { FinderCore } from './finder.js';

/**
 * A 64-bit hex digest of `text` for a folder name (two MurmurHash3 seeds), without node:crypto, whose
 * loading would cost more than the caches save.
 */
function nameDigest(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  const hex = (n: number): string => n.toString(16).padStart(8, '0');
  return hex(murmur3(bytes, bytes.length, -1, 0x6f78)) + hex(murmur3(bytes, bytes.length, -1, 0x7061636b));
}

/** The parameters of the function Node wraps a CommonJS module in; the build compiles with the same. */
export const CJS_PARAMETERS = ['exports', 'require', 'module', '__filename', '__dirname'] as const;

interface ModuleLike {
  exports: unknown;
  filename: string;
  require(id: string): unknown;
}

interface ModuleStatics {
  _resolveFilename(request: string, parent: unknown, isMain: boolean, options?: unknown): string;
  _resolveLookupPaths(request: string, parent: unknown): string[] | null;
  _extensions: unknown;
  _cache: unknown;
}

export interface CodeCacheStats {
  used: number;
  rejected: number;
}

/** This process's counts (OXPACK_DEBUG=cache prints them at exit). */
export const codeCacheStats: CodeCacheStats = { used: 0, rejected: 0 };

/**
 * Whether this Node can compile with a cache made at build time: V8 must give the consumed script the
 * file name it is compiled under. V8 11 (Node 20) keeps the name the cache was made under (none),
 * which breaks stack traces and the packages that read them (bindings finds its addon that way), so
 * Node 20 starts from local caches only. It also drops the import() callback the script is compiled
 * with (Node's host-defined options), so that a module that calls import() can use a cache, even a
 * local one, only where this holds (cjs-hooks.ts).
 */
export const canUseCodeCache = codeCacheKeepsNames(process.versions.node);

/** V8 12 (Node 22) and later apply the runtime file name to a function consumed from a code cache. */
export function codeCacheKeepsNames(nodeVersion: string): boolean {
  return Number.parseInt(nodeVersion.replace(/^v/, ''), 10) >= 22;
}

/** The require() a module gets, as Node's makeRequireFunction builds it. */
function makeRequire(mod: ModuleLike): NodeJS.Require {
  const M = cjsModule as unknown as ModuleStatics;
  const require = function require(id: string): unknown {
    return mod.require(id);
  } as NodeJS.Require;
  const resolve = function resolve(request: string, options?: { paths?: string[] }): string {
    if (typeof request !== 'string') throw invalidRequest(request);
    return M._resolveFilename(request, mod, false, options);
  } as NodeJS.RequireResolve;
  resolve.paths = function paths(request: string): string[] | null {
    if (typeof request !== 'string') throw invalidRequest(request);
    return M._resolveLookupPaths(request, mod);
  };
  require.resolve = resolve;
  require.main = process.mainModule;
  require.extensions = M._extensions as NodeJS.Require['extensions'];
  require.cache = M._cache as NodeJS.Require['cache'];
  return require;
}

function invalidRequest(value: unknown): TypeError {
  const err = new TypeError(`The "request" argument must be of type string. Received ${typeof value}`) as TypeError & { code: string };
  err.code = 'ERR_INVALID_ARG_TYPE';
  return err;
}

export interface CompileResult {
  /** False when the source does not compile as a function (Node's own loader then reports it). */
  ran: boolean;
  /** A cache was given and V8 refused it. */
  rejected?: boolean;
}

/**
 * Compiles `source` as the CommonJS module `mod` with an import() of its own, from source (on Node 20,
 * whose V8 loses the import() callback of a script consumed from a cache, see canUseCodeCache, and
 * where no cache is at hand), and runs it the way Module.prototype._compile does.
 */
export function compileAndRun(mod: ModuleLike, source: string, filename: string, importModuleDynamically: symbol): CompileResult {
  let fn: (...args: unknown[]) => unknown;
  try {
    fn = vm.compileFunction(source, [...CJS_PARAMETERS], {
      filename,
      importModuleDynamically: importModuleDynamically as never,
    }) as typeof fn;
  } catch {
    return { ran: false };
  }
  runModule(fn, mod, filename);
  return { ran: true };
}

/** The line offset that goes with scriptSourceOf(). */
export const SCRIPT_LINE_OFFSET = -1;

const HEAD = Buffer.from(SCRIPT_HEAD, 'latin1');
const TAIL = Buffer.from(SCRIPT_TAIL, 'latin1');

/**
 * The UTF-8 text a CommonJS module of UTF-8 `source` compiles as, here and when the build makes its
 * cache (templates/code-cache.ts): a function expression whose body starts on its second line
 * (format/layout.ts SCRIPT_HEAD), compiled with lineOffset -1, so that every line and column in
 * stack traces is the file's own. A hashbang line, which is only valid at the very start of a
 * script, becomes a comment of the same length. The wrapper is put around the bytes (outside V8's
 * heap) and the whole decoded once: decoding the source, then joining it to the wrapper, made V8 copy
 * every source a second time into its heap (the join is flattened before compiling), about 1.5 ms of
 * ESLint's start. Packed modules mostly need none of this: the build stores them inside this very
 * text (PackedIndex.scriptText).
 */
export function scriptTextOf(source: Uint8Array): Buffer {
  const text = Buffer.allocUnsafe(HEAD.length + source.length + TAIL.length);
  HEAD.copy(text, 0);
  text.set(source, HEAD.length);
  TAIL.copy(text, HEAD.length + source.length);
  if (source[0] === 0x23 && source[1] === 0x21) text.write('//', HEAD.length, 'latin1'); // "#!"
  return text;
}

/** scriptTextOf(source), decoded as runAsScript decodes it. */
export function scriptSourceOf(source: Uint8Array): string {
  return decodeScriptText(scriptTextOf(source));
}

/**
 * Compiles a module as a vm.Script rather than a function: a script can make its cache at any time
 * (LocalCodeCache.putAtExit), so a cache made at the end of a run holds the functions the run compiled
 * as well as the top level. `text` is the module's script text (scriptTextOf, or its view in the blob).
 */
export function runAsScript(
  mod: ModuleLike,
  text: Buffer,
  filename: string,
  options: { cachedData?: Buffer; importModuleDynamically?: symbol; beforeRun?: (script: vm.Script, rejected: boolean) => void },
  stats: CodeCacheStats = codeCacheStats,
  log?: (message: string) => void,
): CompileResult {
  let script: vm.Script;
  try {
    script = new vm.Script(decodeScriptText(text), {
      filename,
      lineOffset: SCRIPT_LINE_OFFSET,
      ...(options.cachedData ? { cachedData: options.cachedData } : {}),
      ...(options.importModuleDynamically ? { importModuleDynamically: options.importModuleDynamically as never } : {}),
    });
  } catch {
    return { ran: false };
  }
  const result = compiled(options.cachedData, script.cachedDataRejected, filename, stats, log);
  // Before the module runs: it may end the process (a CLI calling process.exit).
  options.beforeRun?.(script, result.rejected === true);
  runModule(script.runInThisContext() as (...args: unknown[]) => unknown, mod, filename);
  return result;
}

/**
 * Node's EXTERN_APEX (src/string_bytes.cc): a latin1 or ASCII decode at least this long becomes an
 * external string, a copy outside V8's heap; UTF-8 decodes are always heap strings.
 */
const EXTERNAL_STRING_MIN = 0xfbee9;

/**
 * A module's script text as a string. A text of a megabyte or more that is all ASCII (TypeScript's
 * 6 MB compiler) is decoded as latin1, which gives the same characters as an external string: V8 then
 * neither validates it nor allocates 6 MB of its young generation for it, 0.7 ms of tsc's start.
 */
export function decodeScriptText(text: Buffer): string {
  return text.length >= EXTERNAL_STRING_MIN && isAscii(text) ? text.toString('latin1') : text.toString('utf8');
}

/** A compile that succeeded: whether V8 took the cache it was given, counted and logged. */
function compiled(
  cachedData: Buffer | undefined,
  rejected: boolean | undefined,
  filename: string,
  stats: CodeCacheStats,
  log: ((message: string) => void) | undefined,
): CompileResult {
  if (!cachedData) return { ran: true };
  if (rejected === true) stats.rejected++;
  else stats.used++;
  log?.(`${rejected === true ? 'rejected' : 'used'} ${filename}`);
  return { ran: true, rejected: rejected === true };
}

/** Calls a compiled module function as Module.prototype._compile does. */
function runModule(fn: (...args: unknown[]) => unknown, mod: ModuleLike, filename: string): void {
  fn.call(mod.exports, mod.exports, makeRequire(mod), mod, filename, path.dirname(filename));
}

/**
 * Caches made on this machine at the end of a start (the second: see NOTE; or when V8 refused one),
 * kept in the user's cache folder, <cache>/code/<location hash>/<blob hash>/, checked like the addon
 * cache, and used by later starts. Two reasons: Node 20 must make a cache under the file name it will be
 * consumed with (its V8 keeps that name), which only this machine knows (the executable's location is
 * part of it); and on every line a cache made at the end of a run holds each function the run
 * compiled, where one made at build time holds the top levels only (Node 22+ start from those: ESLint
 * on Node 24 starts in about 116 ms with the local caches, 133 ms with the build's). A missing,
 * unusable or rejected cache only costs the compile Node would have done. Creating a blob's folder
 * removes the caches of other blobs at the same location: they belonged to executables that this one
 * replaced, and would otherwise pile up with every rebuild.
 */
export class LocalCodeCache {
  private folder: string | null | undefined;
  /** The file's caches once read; null when there is no usable file. */
  private loaded: CodeCacheFile | null | undefined;
  /** Caches made at exit replace the file's own for their entries (see flush). */
  private readonly pending = new Map<number, vm.Script>();

  constructor(
    private readonly finder: FinderCore,
    private readonly log?: (message: string) => void,
  ) {}

  /**
   * This executable's cache folder, checked as the addon cache's are; created only when `create` (a
   * reader needs no folder that is not there). Undefined while it does not exist, null when unusable.
   */
  private dir(create: boolean): string | null | undefined {
    if (this.folder !== undefined) return this.folder;
    try {
      const found = cacheFolder(this.finder, create, this.log);
      if (found === undefined) return undefined;
      this.folder = found;
    } catch (err) {
      this.log?.(`no local code cache: ${(err as Error).message}`);
      this.folder = null;
    }
    return this.folder;
  }

  /** One file holds the caches of all modules (code-cache-file.ts): one read at start. */
  private static readonly FILE = 'modules.cache';
  /**
   * Left by a start that made no caches. Making them costs the end of a start about as much as they
   * save the next one (ESLint: about 10 ms), which a program started once, in a fresh container or
   * CI job, would pay for nothing: the first start only leaves this note, and the caches are made at
   * the end of the second (or a few seconds into the first, for a program that keeps running).
   */
  private static readonly NOTE = 'started';
  /** Whether an earlier start of this executable left its caches or the note. */
  private seenBefore = false;

  /** Whether the file has been read (or found missing): from then on a lookup costs nothing. */
  get opened(): boolean {
    return this.loaded !== undefined;
  }

  private load(): CodeCacheFile | null {
    if (this.loaded !== undefined) return this.loaded;
    this.loaded = null;
    const dir = this.dir(false);
    if (!dir) return null;
    const file = path.join(dir, LocalCodeCache.FILE);
    let bytes: Buffer;
    try {
      if (!fs.lstatSync(file).isFile()) return null;
      bytes = fs.readFileSync(file);
    } catch {
      this.seenBefore = fs.lstatSync(path.join(dir, LocalCodeCache.NOTE), { throwIfNoEntry: false })?.isFile() === true;
      return null;
    }
    this.seenBefore = true;
    this.loaded = CodeCacheFile.parse(bytes) ?? null;
    return this.loaded;
  }

  /** The cache an earlier start made for packed entry `entry`. */
  get(entry: number): Buffer | undefined {
    return this.load()?.get(entry);
  }

  /**
   * Makes the cache of `script` at exit: by then it holds every function the run compiled, not only
   * the top level (and writing then keeps it off the start-up path). It replaces any the file holds
   * for packed entry `entry` (one V8 refused, when there is one).
   */
  putAtExit(entry: number, script: vm.Script): void {
    if (!this.exitHooked) {
      this.exitHooked = true;
      process.once('exit', () => (this.seenBefore ? this.flush() : this.leaveNote()));
    }
    // A server may never exit normally (a signal ends it): it writes a few seconds after loading.
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, LocalCodeCache.FLUSH_AFTER_MS);
      this.timer.unref();
    }
    this.pending.set(entry, script);
  }

  private static readonly FLUSH_AFTER_MS = 3000;
  private exitHooked = false;
  private timer: NodeJS.Timeout | undefined;

  /** The first start's note (see NOTE). */
  private leaveNote(): void {
    const dir = this.dir(true);
    if (!dir) return;
    try {
      fs.writeFileSync(path.join(dir, LocalCodeCache.NOTE), '', { mode: 0o600, flag: 'wx' });
      this.log?.('first start: the code caches are made at the end of the next one');
    } catch {
      // another first start left it
    }
  }

  private flush(): void {
    if (this.pending.size === 0) return;
    const dir = this.dir(true);
    if (!dir) return;
    const file = path.join(dir, LocalCodeCache.FILE);
    const caches = new Map<number, Uint8Array>(this.load()?.all());
    for (const [entry, script] of this.pending) caches.set(entry, script.createCachedData());
    const bytes = encodeCodeCacheFile(caches);
    this.loaded = CodeCacheFile.parse(bytes) ?? null; // what a later flush keeps, written or not
    try {
      // Written whole under a temporary name and renamed: concurrent runs each leave a complete file.
      replaceFile(file, bytes, 0o600);
      this.log?.(`wrote ${this.pending.size} code caches (${caches.size} in ${path.basename(file)})`);
    } catch (err) {
      this.log?.(`cannot write the code caches: ${(err as Error).message}`);
    }
    this.pending.clear();
  }
}

/**
 * The folder of this executable's caches, <cache>/code/<location hash>/<blob hash>/`parts`: checked,
 * and created when `create`; undefined while it does not exist. Creating the blob's folder removes
 * the folders of other blobs at the same location (removeReplacedCaches).
 */
function cacheFolder(finder: FinderCore, create: boolean, log?: (message: string) => void, parts: string[] = []): string | undefined {
  const blob = ['code', nameDigest(finder.root.path), finder.index.hash.slice(0, 32)];
  const existing = existingOwnFolders(userCacheDir(), [...blob, ...parts]);
  if (existing !== undefined || !create) return existing;
  const blobExisted = parts.length > 0 && existingOwnFolders(userCacheDir(), blob) !== undefined;
  const made = ownFolders(userCacheDir(), [...blob, ...parts]);
  if (!blobExisted) removeReplacedCaches(path.join(userCacheDir(), ...blob), log); // a new blob here: the one it replaced goes
  return made;
}

/**
 * Removes the cache folders of other blobs beside `own` (a blob's folder): they belonged to
 * executables that this one replaced at the same location.
 */
function removeReplacedCaches(own: string, log?: (message: string) => void): void {
  const location = path.dirname(own);
  try {
    for (const name of fs.readdirSync(location)) {
      if (name === path.basename(own) || !/^[0-9a-f]{32}$/.test(name)) continue;
      fs.rmSync(path.join(location, name), { recursive: true, force: true });
      log?.(`removed the code caches of a replaced executable (${name})`);
    }
  } catch {
    // another run may be removing them too; what is left goes next time
  }
}

interface CompileCacheApi {
  enableCompileCache?: (dir: string) => { status: number; message?: string; directory?: string };
  constants?: { compileCacheStatus?: Record<string, number> };
}

/**
 * Node 22.1+ compiles ES modules with code caches of its own once told where to keep them
 * (module.enableCompileCache), also when the source comes from a loader hook, as packed ES modules'
 * does: about half of a module's compile time from the second start on. Called when packed code first
 * needs the ES module loader; the caches go beside this executable's CommonJS ones (…/esm). Node
 * checks each against the module's source; NODE_DISABLE_COMPILE_CACHE turns it off as for node, and
 * a directory the app or NODE_COMPILE_CACHE chose first is left as it is.
 */
export function enableEsmCompileCache(finder: FinderCore, log?: (message: string) => void): void {
  const api = publicModule() as unknown as CompileCacheApi;
  if (typeof api.enableCompileCache !== 'function' || finder.meta.localCodeCache !== true) return;
  try {
    const dir = cacheFolder(finder, true, log, ['esm'])!;
    const result = api.enableCompileCache(dir);
    const status = Object.entries(api.constants?.compileCacheStatus ?? {}).find(([, code]) => code === result.status)?.[0];
    log?.(`ES module compile cache: ${status ?? result.status} (${result.directory ?? result.message ?? dir})`);
  } catch (err) {
    log?.(`no ES module compile cache: ${(err as Error).message}`);
  }
}
