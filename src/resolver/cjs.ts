/**
 * CommonJS resolution as Module._resolveFilename does it, minus built-ins and the computation of lookup
 * paths (the caller passes Module._resolveLookupPaths' answer, or its own at build time):
 * "#imports", package self-reference, then every lookup folder in turn with "exports", exact file,
 * extensions, and directories (package.json "main", then index).
 */
import { isAbsolute, normalize, resolve as resolvePath, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { invalidModuleSpecifier, moduleNotFound, type NodeError } from './errors.js';
import { EsmResolver, scopeJsonUrl } from './esm.js';
import { type ResolverHost, Stat } from './host.js';
import { packageExportsResolve, packageImportsResolve } from './package-map.js';
import { findPackageScope } from './scope.js';

export interface CjsRequest {
  /** Absolute path of the requiring module, if any: self-reference and "#imports" are relative to it. */
  parentPath?: string | undefined;
  /** Folders to search, in order (Module._resolveLookupPaths). */
  paths: readonly string[];
}

/** The extensions Node registers for require(), in its order. */
export const NODE_EXTENSIONS: readonly string[] = ['.js', '.json', '.node'];

/** Matches "name/..." and "@scope/name/...": the requests that "exports" applies to. */
const EXPORTS_PATTERN = /^((?:@[^/\\%]+\/)?[^./\\%][^/\\%]*)(\/.*)?$/;

export class CjsResolver {
  private readonly esm: EsmResolver;

  constructor(
    private readonly host: ResolverHost,
    readonly conditions: ReadonlySet<string>,
    /** Registered extensions, in order (Object.keys(Module._extensions) at run time). */
    private readonly extensions: () => readonly string[],
  ) {
    this.esm = new EsmResolver(host, conditions);
  }

  /** The resolved filename, or undefined when nothing matches (the caller builds MODULE_NOT_FOUND). */
  resolve(request: string, { parentPath, paths }: CjsRequest): string | undefined {
    if (request[0] === '#' && parentPath) {
      const scope = findPackageScope(this.host, parentPath);
      if (scope?.imports != null) {
        try {
          const url = packageImportsResolve(
            request,
            pathToFileURL(parentPath),
            scope,
            scopeJsonUrl(scope),
            this.conditions,
            this.esm.packageResolve,
          );
          return this.finalizeEsmResolution(url, parentPath, scope.dir);
        } catch (err) {
          if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') throw notFoundAt(request);
          throw err;
        }
      }
    }
    const self = parentPath ? this.trySelf(parentPath, request) : undefined;
    if (self) return self;
    return this.findPath(request, paths);
  }

  /** Module._findPath. */
  findPath(request: string, paths: readonly string[]): string | undefined {
    const absolute = isAbsolute(request);
    if (absolute) paths = [''];
    else if (paths.length === 0) return undefined;

    const trailingSlash = hasTrailingSlash(request);
    // A relative request that climbs out ("../x") is looked up even where the folder is missing.
    const insidePath = !isRelative(request) || !normalize(request).startsWith('..');
    let exts: readonly string[] | undefined;

    for (const curPath of paths) {
      if (insidePath && curPath && this.host.stat(curPath) !== Stat.directory) continue;
      if (!absolute) {
        const viaExports = this.resolveExports(curPath, request);
        if (viaExports) return viaExports;
      }
      const basePath = resolvePath(curPath, request);
      const rc = this.host.stat(basePath);
      let filename: string | undefined;
      if (!trailingSlash) {
        if (rc === Stat.file) filename = this.host.realpath(basePath);
        if (!filename) filename = this.tryExtensions(basePath, (exts ??= this.extensions()));
      }
      if (!filename && rc === Stat.directory) filename = this.tryPackage(basePath, (exts ??= this.extensions()), request);
      if (filename) return filename;
    }
    return undefined;
  }

  private tryFile(path: string): string | undefined {
    return this.host.stat(path) === Stat.file ? this.host.realpath(path) : undefined;
  }

  private tryExtensions(base: string, exts: readonly string[]): string | undefined {
    for (const ext of exts) {
      const found = this.tryFile(base + ext);
      if (found) return found;
    }
    return undefined;
  }

  /** A directory: its package.json "main" (with extensions and index), else its index file. */
  private tryPackage(dir: string, exts: readonly string[], originalRequest: string): string | undefined {
    const main = this.host.readPackage(dir)?.main;
    if (!main) return this.tryExtensions(resolvePath(dir, 'index'), exts);
    const filename = resolvePath(dir, main);
    const actual = this.tryFile(filename) ?? this.tryExtensions(filename, exts) ?? this.tryExtensions(resolvePath(filename, 'index'), exts);
    if (actual) return actual;
    const fallback = this.tryExtensions(resolvePath(dir, 'index'), exts);
    if (!fallback) {
      const err = new Error(`Cannot find module '${filename}'. Please verify that the package.json has a valid "main" entry`) as NodeError;
      err.code = 'MODULE_NOT_FOUND';
      err.path = resolvePath(dir, 'package.json');
      err.requestPath = originalRequest;
      throw err;
    }
    return fallback;
  }

  /** "exports" of the package `request` names, looked for in the node_modules folder `nmPath`. */
  private resolveExports(nmPath: string, request: string): string | undefined {
    const match = EXPORTS_PATTERN.exec(request);
    if (!match) return undefined;
    const pkgPath = resolvePath(nmPath, match[1]!);
    const config = this.host.readPackage(pkgPath);
    if (!config || config.exports == null) return undefined;
    try {
      const url = packageExportsResolve(
        pathToFileURL(`${pkgPath}${sep}package.json`),
        `.${match[2] ?? ''}`,
        config,
        undefined,
        this.conditions,
        this.esm.packageResolve,
      );
      return this.finalizeEsmResolution(url, undefined, pkgPath);
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') throw notFoundAt(request, `${pkgPath}${sep}package.json`);
      throw err;
    }
  }

  /** A package requiring itself by name through its own "exports". */
  private trySelf(parentPath: string, request: string): string | undefined {
    const scope = findPackageScope(this.host, parentPath);
    if (!scope || scope.exports == null || scope.name === undefined) return undefined;
    let expansion: string;
    if (request === scope.name) expansion = '.';
    else if (request.startsWith(`${scope.name}/`)) expansion = `.${request.slice(scope.name.length)}`;
    else return undefined;
    try {
      const url = packageExportsResolve(
        scopeJsonUrl(scope),
        expansion,
        scope,
        pathToFileURL(parentPath),
        this.conditions,
        this.esm.packageResolve,
      );
      return this.finalizeEsmResolution(url, parentPath, scope.dir);
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') throw notFoundAt(request, `${scope.dir}${sep}package.json`);
      throw err;
    }
  }

  private finalizeEsmResolution(resolved: URL, parentPath: string | undefined, pkgDir: string): string {
    if (/%2f|%5c/i.test(resolved.href)) {
      throw invalidModuleSpecifier(resolved.href, 'must not include encoded "/" or "\\" characters', parentPath);
    }
    const filename = fileURLToPath(resolved);
    const actual = this.tryFile(filename);
    if (actual) return actual;
    throw notFoundAt(filename, resolvePath(pkgDir, 'package.json'));
  }
}

/** Node's createEsmNotFoundErr: MODULE_NOT_FOUND with a path and no require stack. */
function notFoundAt(request: string, path?: string): Error {
  const err = moduleNotFound(request);
  delete err.requireStack;
  if (path) err.path = path;
  return err;
}

/** "./x", "../x", "." and ".." (and their backslash forms on Windows). */
export function isRelative(request: string): boolean {
  if (request[0] !== '.') return false;
  if (request.length === 1) return true;
  const c1 = request[1];
  if (c1 === '/' || (sep === '\\' && c1 === '\\')) return true;
  if (c1 !== '.') return false;
  return request.length === 2 || request[2] === '/' || (sep === '\\' && request[2] === '\\');
}

/** "x/", ".", "..", "x/." and "x/.." name directories only. */
function hasTrailingSlash(request: string): boolean {
  if (request.length === 0) return false;
  const last = request[request.length - 1];
  if (last === '/') return true;
  if (last !== '.') return false;
  const prev = request[request.length - 2];
  if (request.length === 1 || prev === '/') return true;
  return prev === '.' && (request.length === 2 || request[request.length - 3] === '/');
}
