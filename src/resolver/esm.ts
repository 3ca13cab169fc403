/**
 * ES module resolution (ESM_RESOLVE of Node's specification) over a ResolverHost: no extension
 * searching, "exports"/"imports" with import conditions, legacy "main" fallback, directory imports
 * refused, results canonicalized with realpath.
 */
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { esmModuleNotFound, invalidModuleSpecifier, unsupportedDirImport } from './errors.js';
import { type PackageConfig, type ResolverHost, Stat } from './host.js';
import { packageExportsResolve, packageImportsResolve } from './package-map.js';
import { findPackageScope } from './scope.js';

export class EsmResolver {
  constructor(
    private readonly host: ResolverHost,
    readonly conditions: ReadonlySet<string>,
    /**
     * Which node_modules folders a bare specifier may be found in. The runtime allows packed ones only,
     * so that a packed app never picks up a stray node_modules near the executable.
     */
    private readonly packageDirAllowed: (dir: string) => boolean = () => true,
  ) {}

  /** Resolves `specifier` imported from `parentUrl` to a URL (file:, node:, data:, ...). */
  resolve(specifier: string, parentUrl: URL | string): URL {
    const base = typeof parentUrl === 'string' ? new URL(parentUrl) : parentUrl;
    let resolved: URL;
    if (isRelativeOrAbsolutePath(specifier)) {
      resolved = new URL(specifier, base);
    } else if (specifier[0] === '#' && base.protocol === 'file:') {
      resolved = this.importsResolve(specifier, base);
    } else {
      try {
        resolved = new URL(specifier);
      } catch {
        resolved = this.packageResolve(specifier, base, this.conditions);
      }
    }
    if (resolved.protocol !== 'file:') return resolved;
    return this.finalize(resolved, base);
  }

  /** "#..." specifiers, resolved against the importer's package scope. */
  importsResolve(specifier: string, base: URL, conditions: ReadonlySet<string> = this.conditions): URL {
    const scope = findPackageScope(this.host, fileURLToPath(base));
    return packageImportsResolve(specifier, base, scope, scope && scopeJsonUrl(scope), conditions, this.packageResolve);
  }

  /** PACKAGE_RESOLVE: a bare specifier, looked up through node_modules folders from `base` up. */
  readonly packageResolve = (specifier: string, base: URL, conditions: ReadonlySet<string>): URL => {
    if (this.host.isBuiltin(specifier)) return new URL(`node:${specifier}`);
    const { packageName, packageSubpath, isScoped } = parsePackageName(specifier, base);

    const scope = findPackageScope(this.host, fileURLToPath(base));
    if (scope && scope.name === packageName && scope.exports != null) {
      return packageExportsResolve(scopeJsonUrl(scope), packageSubpath, scope, base, conditions, this.packageResolve);
    }

    let jsonUrl = new URL(`./node_modules/${packageName}/package.json`, base);
    let jsonPath = fileURLToPath(jsonUrl);
    let lastPath: string;
    do {
      const dir = jsonPath.slice(0, jsonPath.length - 13); // strip "/package.json"
      if (!this.packageDirAllowed(dir) || this.host.stat(dir) !== Stat.directory) {
        lastPath = jsonPath;
        jsonUrl = new URL(`${isScoped ? '../../../../node_modules/' : '../../../node_modules/'}${packageName}/package.json`, jsonUrl);
        jsonPath = fileURLToPath(jsonUrl);
        continue;
      }
      const config = this.host.readPackage(dir) ?? { dir };
      if (config.exports != null) {
        return packageExportsResolve(jsonUrl, packageSubpath, config, base, conditions, this.packageResolve);
      }
      if (packageSubpath === '.') return this.legacyMainResolve(jsonUrl, config, base);
      return new URL(packageSubpath, jsonUrl);
    } while (jsonPath.length !== lastPath.length);
    throw esmModuleNotFound(packageName, fileURLToPath(base));
  };

  /** A package without "exports": its "main", then index files, with the extensions ESM still tries here. */
  private legacyMainResolve(jsonUrl: URL, config: PackageConfig, base: URL): URL {
    if (config.main !== undefined) {
      for (const suffix of ['', '.js', '.json', '.node', '/index.js', '/index.json', '/index.node']) {
        const guess = new URL(`./${config.main}${suffix}`, jsonUrl);
        if (this.host.stat(fileURLToPath(guess)) === Stat.file) return guess;
      }
    }
    for (const name of ['./index.js', './index.json', './index.node']) {
      const guess = new URL(name, jsonUrl);
      if (this.host.stat(fileURLToPath(guess)) === Stat.file) return guess;
    }
    // Node names the file it expected: "<package>/<main>" or "<package>/index.js".
    const expected = new URL(config.main !== undefined ? `./${config.main}` : './index.js', jsonUrl);
    throw esmModuleNotFound(fileURLToPath(expected), fileURLToPath(base));
  }

  private finalize(resolved: URL, base: URL): URL {
    if (/%2f|%5c/i.test(resolved.pathname)) {
      throw invalidModuleSpecifier(resolved.pathname, 'must not include encoded "/" or "\\" characters', fileURLToPath(base));
    }
    const path = fileURLToPath(resolved);
    const stat = this.host.stat(path.endsWith('/') ? path.slice(0, -1) : path);
    if (stat === Stat.directory) throw unsupportedDirImport(path, fileURLToPath(base), resolved.href);
    if (stat !== Stat.file) throw esmModuleNotFound(path, fileURLToPath(base), resolved.href);
    const real = pathToFileURL(this.host.realpath(path));
    real.search = resolved.search;
    real.hash = resolved.hash;
    return real;
  }
}

export function scopeJsonUrl(scope: PackageConfig): URL {
  return pathToFileURL(join(scope.dir, 'package.json'));
}

/** "/x", "./x", "../x", "." and ".." are paths; everything else is a URL or a bare specifier. */
export function isRelativeOrAbsolutePath(specifier: string): boolean {
  if (specifier === '') return false;
  if (specifier[0] === '/') return true;
  if (specifier[0] === '.') {
    if (specifier.length === 1 || specifier[1] === '/') return true;
    if (specifier[1] === '.' && (specifier.length === 2 || specifier[2] === '/')) return true;
  }
  return false;
}

export function parsePackageName(
  specifier: string,
  base: URL | undefined,
): { packageName: string; packageSubpath: string; isScoped: boolean } {
  let separator = specifier.indexOf('/');
  let valid = true;
  let isScoped = false;
  if (specifier[0] === '@') {
    isScoped = true;
    if (separator === -1 || specifier.length === 0) valid = false;
    else separator = specifier.indexOf('/', separator + 1);
  }
  const packageName = separator === -1 ? specifier : specifier.slice(0, separator);
  if (/^\.|%|\\/.test(packageName)) valid = false;
  if (!valid) throw invalidModuleSpecifier(specifier, 'is not a valid package name', base && fileURLToPath(base));
  const packageSubpath = `.${separator === -1 ? '' : specifier.slice(separator)}`;
  return { packageName, packageSubpath, isScoped };
}
