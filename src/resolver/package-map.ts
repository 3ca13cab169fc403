/**
 * package.json "exports" and "imports": PACKAGE_EXPORTS_RESOLVE, PACKAGE_IMPORTS_RESOLVE and
 * PACKAGE_TARGET_RESOLVE of Node's ESM resolution specification, which the CommonJS loader uses too.
 *
 * Written from the specification and checked against Node's behaviour (test/unit/resolver.test.ts
 * compares with the host Node). Where Node's implementation refines the text (condition objects fall
 * through when a nested target matches nothing, array fallbacks skip invalid targets, empty path
 * segments are only deprecated) this follows the implementation, since that is what apps meet.
 */
import { fileURLToPath } from 'node:url';
import {
  invalidModuleSpecifier,
  invalidPackageConfig,
  invalidPackageTarget,
  packageImportNotDefined,
  packagePathNotExported,
} from './errors.js';
import type { PackageConfig } from './host.js';

/** Resolves a bare specifier found as an "imports" target (ESM PACKAGE_RESOLVE). */
export type PackageResolve = (specifier: string, base: URL, conditions: ReadonlySet<string>) => URL;

interface TargetContext {
  packageJsonUrl: URL;
  /** The key being resolved, for messages. */
  key: string;
  base: URL | undefined;
  isImports: boolean;
  conditions: ReadonlySet<string>;
  packageResolve: PackageResolve;
}

const pkgDirOf = (packageJsonUrl: URL): string => fileURLToPath(new URL('.', packageJsonUrl));
const pathOf = (url: URL | undefined): string | undefined => (url ? fileURLToPath(url) : undefined);

/** Segments that may never appear in a target or a pattern match: ".", "..", "node_modules". */
function hasForbiddenSegment(value: string): boolean {
  for (const raw of value.split(/[\\/]/)) {
    const segment = raw.toLowerCase().replace(/%([0-9a-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    if (segment === '.' || segment === '..' || segment === 'node_modules') return true;
  }
  return false;
}

function isArrayIndex(key: string): boolean {
  const n = Number(key);
  return `${n}` === key && n >= 0 && n < 0xffff_ffff;
}

function resolveTargetString(target: string, patternMatch: string | undefined, ctx: TargetContext): URL {
  if (!target.startsWith('./')) {
    if (ctx.isImports && !target.startsWith('../') && !target.startsWith('/')) {
      let isUrl = false;
      try {
        new URL(target);
        isUrl = true;
      } catch {
        /* a bare specifier */
      }
      if (!isUrl) {
        const specifier = patternMatch === undefined ? target : target.replace(/\*/g, () => patternMatch);
        return ctx.packageResolve(specifier, ctx.packageJsonUrl, ctx.conditions);
      }
    }
    throw invalidPackageTarget(pkgDirOf(ctx.packageJsonUrl), ctx.key, target, ctx.isImports, pathOf(ctx.base));
  }
  if (hasForbiddenSegment(target.slice(2))) {
    throw invalidPackageTarget(pkgDirOf(ctx.packageJsonUrl), ctx.key, target, ctx.isImports, pathOf(ctx.base));
  }
  const resolved = new URL(target, ctx.packageJsonUrl);
  const packagePath = new URL('.', ctx.packageJsonUrl).pathname;
  if (!resolved.pathname.startsWith(packagePath)) {
    throw invalidPackageTarget(pkgDirOf(ctx.packageJsonUrl), ctx.key, target, ctx.isImports, pathOf(ctx.base));
  }
  if (patternMatch === undefined) return resolved;
  if (hasForbiddenSegment(patternMatch)) {
    const request = ctx.key.replace('*', () => patternMatch);
    throw invalidModuleSpecifier(
      request,
      `request is not a valid match in pattern "${ctx.key}" for the "${ctx.isImports ? 'imports' : 'exports'}" resolution of ${fileURLToPath(ctx.packageJsonUrl)}`,
      pathOf(ctx.base),
    );
  }
  return new URL(resolved.href.replace(/\*/g, () => patternMatch));
}

/** Returns a URL, null (explicitly excluded) or undefined (no condition matched). */
function resolveTarget(target: unknown, patternMatch: string | undefined, ctx: TargetContext): URL | null | undefined {
  if (typeof target === 'string') return resolveTargetString(target, patternMatch, ctx);
  if (Array.isArray(target)) {
    if (target.length === 0) return null;
    let last: unknown;
    for (const item of target) {
      let result: URL | null | undefined;
      try {
        result = resolveTarget(item, patternMatch, ctx);
      } catch (err) {
        last = err;
        if ((err as { code?: string }).code === 'ERR_INVALID_PACKAGE_TARGET') continue;
        throw err;
      }
      if (result === undefined) continue;
      if (result === null) {
        last = null;
        continue;
      }
      return result;
    }
    if (last === undefined || last === null) return last as null | undefined;
    throw last;
  }
  if (typeof target === 'object' && target !== null) {
    const keys = Object.getOwnPropertyNames(target);
    if (keys.some(isArrayIndex)) {
      throw invalidPackageConfig(fileURLToPath(ctx.packageJsonUrl), pathOf(ctx.base), '"exports" cannot contain numeric property keys.');
    }
    for (const key of keys) {
      if (key === 'default' || ctx.conditions.has(key)) {
        const result = resolveTarget((target as Record<string, unknown>)[key], patternMatch, ctx);
        if (result === undefined) continue;
        return result;
      }
    }
    return undefined;
  }
  if (target === null) return null;
  throw invalidPackageTarget(pkgDirOf(ctx.packageJsonUrl), ctx.key, target, ctx.isImports, pathOf(ctx.base));
}

/** PATTERN_KEY_COMPARE as Node implements it: longer prefix first, then longer key. */
function patternKeyCompare(a: string, b: string): number {
  const aStar = a.indexOf('*');
  const bStar = b.indexOf('*');
  const aBase = aStar === -1 ? a.length : aStar + 1;
  const bBase = bStar === -1 ? b.length : bStar + 1;
  if (aBase > bBase) return -1;
  if (bBase > aBase) return 1;
  if (aStar === -1) return 1;
  if (bStar === -1) return -1;
  if (a.length > b.length) return -1;
  if (b.length > a.length) return 1;
  return 0;
}

/** Finds the best pattern key ("./x/*.js") matching `matchKey`, with the text the "*" stands for. */
function bestPattern(matchKey: string, map: Record<string, unknown>): { key: string; match: string } | undefined {
  let best = '';
  let bestMatch = '';
  for (const key of Object.getOwnPropertyNames(map)) {
    const star = key.indexOf('*');
    if (star === -1 || star !== key.lastIndexOf('*') || !matchKey.startsWith(key.slice(0, star))) continue;
    const trailer = key.slice(star + 1);
    if (matchKey.length >= key.length && matchKey.endsWith(trailer) && patternKeyCompare(best, key) === 1) {
      best = key;
      bestMatch = matchKey.slice(star, matchKey.length - trailer.length);
    }
  }
  return best ? { key: best, match: bestMatch } : undefined;
}

/** Whether "exports" is the sugar form (a string, an array, or conditions with no "." keys). */
function isMainSugar(exports: unknown, packageJsonUrl: URL, base: URL | undefined): boolean {
  if (typeof exports === 'string' || Array.isArray(exports)) return true;
  if (typeof exports !== 'object' || exports === null) return false;
  let sugar = false;
  let first = true;
  for (const key of Object.getOwnPropertyNames(exports)) {
    const isCondition = key === '' || key[0] !== '.';
    if (first) {
      sugar = isCondition;
      first = false;
    } else if (sugar !== isCondition) {
      throw invalidPackageConfig(
        fileURLToPath(packageJsonUrl),
        pathOf(base),
        '"exports" cannot contain some keys starting with \'.\' and some not. The exports object must either be an object of package subpath keys or an object of main entry condition name keys only.',
      );
    }
  }
  return sugar;
}

/** PACKAGE_EXPORTS_RESOLVE: `subpath` is "." or "./...". */
export function packageExportsResolve(
  packageJsonUrl: URL,
  subpath: string,
  config: PackageConfig,
  base: URL | undefined,
  conditions: ReadonlySet<string>,
  packageResolve: PackageResolve,
): URL {
  let exports = config.exports;
  if (isMainSugar(exports, packageJsonUrl, base)) exports = { '.': exports };
  const map = (typeof exports === 'object' && exports !== null ? exports : {}) as Record<string, unknown>;
  const ctx = (key: string): TargetContext => ({ packageJsonUrl, key, base, isImports: false, conditions, packageResolve });
  const notExported = (): Error => packagePathNotExported(pkgDirOf(packageJsonUrl), subpath, pathOf(base));

  if (Object.prototype.hasOwnProperty.call(map, subpath) && !subpath.includes('*') && !subpath.endsWith('/')) {
    const resolved = resolveTarget(map[subpath], undefined, ctx(subpath));
    if (resolved == null) throw notExported();
    return resolved;
  }
  const best = bestPattern(subpath, map);
  if (best) {
    const resolved = resolveTarget(map[best.key], best.match, ctx(best.key));
    if (resolved == null) throw notExported();
    return resolved;
  }
  throw notExported();
}

/** PACKAGE_IMPORTS_RESOLVE for "#..." specifiers, given the package scope of the importer. */
export function packageImportsResolve(
  specifier: string,
  base: URL,
  scope: PackageConfig | undefined,
  scopeJsonUrl: URL | undefined,
  conditions: ReadonlySet<string>,
  packageResolve: PackageResolve,
): URL {
  if (specifier === '#' || specifier.startsWith('#/') || specifier.endsWith('/')) {
    throw invalidModuleSpecifier(specifier, 'is not a valid internal imports specifier name', fileURLToPath(base));
  }
  const imports = scope?.imports;
  if (scopeJsonUrl && typeof imports === 'object' && imports !== null && !Array.isArray(imports)) {
    const map = imports as Record<string, unknown>;
    const ctx = (key: string): TargetContext => ({ packageJsonUrl: scopeJsonUrl, key, base, isImports: true, conditions, packageResolve });
    if (Object.prototype.hasOwnProperty.call(map, specifier) && !specifier.includes('*')) {
      const resolved = resolveTarget(map[specifier], undefined, ctx(specifier));
      if (resolved != null) return resolved;
    } else {
      const best = bestPattern(specifier, map);
      if (best) {
        const resolved = resolveTarget(map[best.key], best.match, ctx(best.key));
        if (resolved != null) return resolved;
      }
    }
  }
  throw packageImportNotDefined(specifier, scopeJsonUrl ? pkgDirOf(scopeJsonUrl) : undefined, fileURLToPath(base));
}
