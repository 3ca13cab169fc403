/**
 * Follows module references from the entry point: every file reached is parsed (JavaScript) and its
 * literal specifiers are resolved exactly as the target Node resolves them. Packages reached this way
 * are later packed whole (packages.ts); the app's own files come from here and from --assets.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fg from 'fast-glob';
import type { ResourceKind } from '../format/layout.js';
import { CjsResolver, NODE_EXTENSIONS } from '../resolver/cjs.js';
import { defaultConditions } from '../resolver/conditions.js';
import { moduleNotFound } from '../resolver/errors.js';
import { EsmResolver, isRelativeOrAbsolutePath, parsePackageName } from '../resolver/esm.js';
import { lookupPaths } from '../resolver/lookup-paths.js';
import { findPackageScope } from '../resolver/scope.js';
import { detectedKind, extensionlessHint, isTypeScriptSource, kindByName, parseHintFor, type LoadedBy } from './classify.js';
import type { Diagnostic } from './diagnostics.js';
import type { DiskHost } from './disk-host.js';
import { packageRootOf } from './packages.js';
import { findReferences, lineAndColumn, type Reference } from './parse.js';
import type { TargetInfo } from './target.js';
import { SOURCE_MAPPING_URL } from '../runtime/source-maps.js';

export interface TraceInput {
  /** Absolute, canonical path of the entry point. */
  entry: string;
  host: DiskHost;
  target: TargetInfo;
  /** Package names left out of the executable (resolved beside it at run time). */
  external: ReadonlySet<string>;
  /** Files beyond this folder are never pulled in by computed-path patterns. */
  appRoot: string;
  /**
   * More scripts to follow, leniently (what they fail to resolve is a warning): JavaScript files among
   * the assets, which may be worker or child scripts, or may be browser code that node never runs.
   */
  scripts?: string[];
}

export interface TraceResult {
  /** Every file reached, by canonical path, with the kind it will be packed as. */
  files: Map<string, ResourceKind>;
  /** Files and folders referenced as data (new URL('./x', import.meta.url), computed-path patterns). */
  assets: Set<string>;
  /**
   * The literal require() and require.resolve() specifiers of each CommonJS file that resolved (not
   * built-ins, not external packages): the build records what they resolve to in the packed tree.
   */
  requires: Map<string, Set<string>>;
  /** The same for the literal import declarations and import() calls of each ES module. */
  imports: Map<string, Set<string>>;
  diagnostics: Diagnostic[];
}

const MAX_PATTERN_FILES = 2000;

export function trace(input: TraceInput): TraceResult {
  const { host, target } = input;
  const conditions = defaultConditions({ requireModule: target.requireModule, packedRequireEsm: target.syncHooks });
  const cjs = new CjsResolver(host, conditions.require, () => NODE_EXTENSIONS);
  const esm = new EsmResolver(host, conditions.import);
  const files = new Map<string, ResourceKind>();
  const assets = new Set<string>();
  const requires = new Map<string, Set<string>>();
  const imports = new Map<string, Set<string>>();
  const record = (table: Map<string, Set<string>>, file: string, specifier: string): void => {
    let specifiers = table.get(file);
    if (!specifiers) table.set(file, (specifiers = new Set()));
    specifiers.add(specifier);
  };
  const diagnostics: Diagnostic[] = [];
  // Where Node has require(esm) but no in-thread hooks (20.19+, 22.12-22.14), a required ES module's
  // own imports are resolved by Node's default resolver, which cannot see packed files: such requires,
  // checked once every file's kind is known, and the ES modules that statically import packed files.
  const requireEsmUnsupported = target.requireModule && !target.syncHooks;
  const requiresOfFiles: { file: string; found: string; ref: Reference; line: number; column: number }[] = [];
  const importsPackedFiles = new Set<string>();
  // loadedBy: how code loads the file, when it is loaded as code (what a file without an extension
  // is depends on it); the entry point runs as the ES module loader would run it.
  const queue: { file: string; lenient: boolean; loadedBy?: LoadedBy }[] = [
    ...(input.scripts ?? []).map((file) => ({ file, lenient: true })),
    { file: input.entry, lenient: false, loadedBy: 'import' },
  ];

  const isBuiltin = (specifier: string): boolean => specifier.startsWith('node:') || host.isBuiltin(specifier);
  const isExternal = (specifier: string): boolean => {
    if (input.external.size === 0 || isRelativeOrAbsolutePath(specifier) || specifier[0] === '#') return false;
    try {
      return input.external.has(parsePackageName(specifier, undefined).packageName);
    } catch {
      return false;
    }
  };

  /** A path in the app: not above it, not in node_modules (the app's root folder itself included). */
  const inApp = (p: string): boolean => {
    const rel = relative(input.appRoot, p);
    return !rel.startsWith('..') && !isAbsolute(rel) && !rel.split(sep).includes('node_modules');
  };
  /** A folder that a built path may pack: in the app, never the app's root folder itself. */
  const insideApp = (folder: string): boolean => relative(input.appRoot, folder) !== '' && inApp(folder);

  const add = (path: string, lenient = false, loadedBy?: LoadedBy): void => {
    if (!files.has(path)) queue.push({ file: path, lenient, ...(loadedBy ? { loadedBy } : {}) });
  };

  // Scripts in folders named from a module's folder (resolveReference), followed after everything
  // else and without diagnostics.
  const quietly: string[] = [];
  const resolveReference = (ref: Reference, from: string): string | undefined => {
    if (ref.kind === 'url') {
      const url = new URL(ref.specifier, pathToFileURL(from));
      if (url.protocol !== 'file:') return undefined;
      const path = fileURLToPath(url);
      if (host.stat(path) < 0)
        throw Object.assign(new Error(`new URL('${ref.specifier}', import.meta.url) points at ${path}, which does not exist`), {
          code: 'ENOENT',
        });
      const real = host.realpath(path);
      assets.add(real);
      // new Worker(new URL('./worker.js', import.meta.url)): follow scripts, leniently (they may be
      // browser code served as a file).
      if (JS_FILE.test(real) && host.stat(real) === 0) add(real, true);
      return undefined;
    }
    if (ref.kind === 'module-folder') {
      // A folder whose scripts the module loads by listing it (parse.ts): packed, and its scripts
      // followed (leniently: not every file in it need be one it loads) for what they require.
      const folder = resolve(dirname(from), ref.specifier);
      if (host.stat(folder) !== 1) return undefined;
      const real = host.realpath(folder);
      if (!insideApp(real)) return undefined;
      assets.add(real);
      for (const script of scriptsIn(real)) add(script, true);
      return undefined;
    }
    if (ref.kind === 'path') {
      // path.join(__dirname, ...): scripts are followed (leniently), other files and folders packed as
      // assets; a folder only inside the app and never the app itself or node_modules.
      const path = resolve(dirname(from), ref.specifier);
      const type = host.stat(path);
      if (type < 0) {
        // A glob that a library expands at run time, such as TypeORM's entities
        // `${__dirname}/**/*.entity{.ts,.js}`: the files it matches in the app.
        if (GLOB.test(ref.specifier)) {
          const matches = globInApp(ref.specifier, from, input.appRoot) ?? [];
          for (const m of matches) kindByName(m, host, target.detectModule) === 'asset' ? assets.add(m) : add(m, true);
          return undefined;
        }
        // A pattern that a library fills in at run time, such as i18next's loadPath
        // 'locales/{{lng}}/{{ns}}.json': the folder above its first placeholder is packed.
        const at = ref.specifier.search(PLACEHOLDER);
        if (at < 0) return undefined;
        const folder = resolve(dirname(from), ref.specifier.slice(0, at).replace(/[^/\\]*$/, '') || '.');
        if (host.stat(folder) === 1 && insideApp(host.realpath(folder))) assets.add(host.realpath(folder));
        return undefined;
      }
      const real = host.realpath(path);
      if (type === 0) {
        if (JS_FILE.test(real)) add(real, true);
        else assets.add(real);
      } else if (insideApp(real)) {
        assets.add(real);
        // A folder of plugins or routes that a library loads (@fastify/autoload's dir) may hold
        // scripts that require app files nothing else names; a public folder holds browser code.
        // Its scripts are followed after everything else, and what fails there is not reported.
        quietly.push(...scriptsIn(real));
      }
      return undefined;
    }
    if (ref.kind === 'require' || ref.kind === 'require.resolve') {
      const found = cjs.resolve(ref.specifier, { parentPath: from, paths: lookupPaths(ref.specifier, from) });
      if (found === undefined) throw moduleNotFound(ref.specifier);
      return found;
    }
    const url = esm.resolve(ref.specifier, pathToFileURL(from));
    return url.protocol === 'file:' ? fileURLToPath(url) : undefined;
  };

  let quietFrom: number | undefined;
  for (;;) {
    if (queue.length === 0) {
      if (quietFrom !== undefined || quietly.length === 0) break;
      quietFrom = diagnostics.length;
      for (const script of quietly) add(script, true);
      continue;
    }
    const { file, lenient, loadedBy } = queue.pop()!;
    if (files.has(file)) continue;
    let kind = kindByName(file, host, target.detectModule);
    let hint = parseHintFor(file, host, target.detectModule);
    // Required and taken as an ES module only because its package says "type": "module" (Node 26+).
    let requiredAsModule = false;
    if (hint === undefined && loadedBy !== undefined && extname(file) === '' && kind === 'asset') {
      hint = extensionlessHint(findPackageScope(host, file)?.type, loadedBy, target);
      kind = hint === 'module' ? 'module' : hint === 'script' ? 'commonjs' : undefined;
      requiredAsModule = hint === 'module' && loadedBy === 'require';
    }
    if (hint === undefined) {
      files.set(file, kind!);
      continue;
    }
    let source: string;
    try {
      source = readFileSync(file, 'utf8');
    } catch (err) {
      diagnostics.push({ severity: 'error', code: 'unreadable', file, message: `cannot read this file: ${(err as Error).message}` });
      files.set(file, kind ?? 'commonjs');
      continue;
    }
    const parsed = findReferences(source, hint);
    if (kind === undefined) kind = parsed.syntax === 'module' ? 'module' : parsed.syntax === 'script' ? 'commonjs' : detectedKind(source);
    files.set(file, kind);
    const inPackage = packageRootOf(file) !== undefined;
    const where = (offset: number): { line: number; column: number } => lineAndColumn(source, offset);

    if (requiredAsModule && detectedKind(source) === 'commonjs') {
      // yargs 17's yargs/yargs: the app fails under node on this line too, but the cause is far from
      // the error it prints.
      diagnostics.push({
        severity: 'warning',
        code: 'extensionless-commonjs',
        file,
        message: `CommonJS without a file extension in a "type": "module" package: Node ${target.version} loads it as an ES module, where it fails as it does under node (a newer version of its package may fix this, e.g. yargs 18)`,
      });
    }
    if (parsed.error) {
      diagnostics.push({
        severity: 'warning',
        code: 'syntax',
        file,
        ...where(parsed.error.offset),
        message: `does not parse (${parsed.error.message}); it is packed as is and will fail at run time as it does under node`,
      });
    }

    for (const ref of parsed.references) {
      if ((ref.kind === 'path' || ref.kind === 'module-folder') && inPackage) continue; // packages are packed whole
      if (ref.kind === 'module-folder' && resolve(dirname(file), ref.specifier) === input.appRoot) {
        // The app's own root folder, listed: packing it whole would take everything in it.
        diagnostics.push({
          severity: 'warning',
          code: 'lists-app-folder',
          file,
          ...where(ref.offset),
          message:
            'lists the files of its own folder, the root of the app: only the files the build reaches are packed there; add what it loads with --assets',
        });
        continue;
      }
      // (Folders and files named from the module's folder are paths, whatever their names.)
      const isPath = ref.kind === 'url' || ref.kind === 'path' || ref.kind === 'module-folder';
      if (!isPath && (isBuiltin(ref.specifier) || isExternal(ref.specifier))) continue;
      try {
        const found = resolveReference(ref, file);
        if (found && isTypeScriptSource(found) && (ref.kind === 'require' || ref.kind === 'import' || ref.kind === 'dynamic-import')) {
          // Packed as a file all the same: code that never runs (or a package's own failure) may name one.
          diagnostics.push({
            severity: ref.optional || inPackage || lenient ? 'warning' : 'error',
            code: 'typescript',
            file,
            specifier: ref.specifier,
            ...where(ref.offset),
            message: `${describe(ref)} '${ref.specifier}' loads TypeScript, which oxpack does not pack as code`,
          });
        }
        if (found && !isExternalPath(found, input.external)) {
          add(
            found,
            lenient,
            ref.kind === 'require' ? 'require' : ref.kind === 'import' || ref.kind === 'dynamic-import' ? 'import' : undefined,
          );
          if (kind === 'commonjs' && (ref.kind === 'require' || ref.kind === 'require.resolve')) record(requires, file, ref.specifier);
          if (kind === 'module' && (ref.kind === 'import' || ref.kind === 'dynamic-import')) record(imports, file, ref.specifier);
          if (requireEsmUnsupported && kind === 'module' && ref.kind === 'import') importsPackedFiles.add(file);
          if (requireEsmUnsupported && ref.kind === 'require') requiresOfFiles.push({ file, found, ref, ...where(ref.offset) });
        }
      } catch (err) {
        const e = err as Error & { code?: string };
        // A lenient file may never run under node (browser code among the assets).
        const severity = ref.optional || inPackage || lenient ? 'warning' : 'error';
        const reason =
          e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND'
            ? 'cannot be resolved'
            : `cannot be resolved: ${e.message.split('\n')[0]}`;
        diagnostics.push({
          severity,
          code: 'unresolved',
          file,
          specifier: ref.specifier,
          ...where(ref.offset),
          message: `${describe(ref)} '${ref.specifier}' ${reason}${ref.optional ? ' (inside try/catch: left to the app)' : ''}`,
        });
      }
    }

    // Computed specifiers only matter for the app's own files: packages are packed whole anyway.
    if (inPackage) continue;
    // The source map a compiler wrote beside the file (tsc --sourceMap): stack traces are mapped with
    // it under --enable-source-maps or process.setSourceMapsEnabled(true), as under node.
    const map = SOURCE_MAPPING_URL.exec(source.slice(-512))?.[1];
    if (map !== undefined && !map.includes(':')) {
      // a data: or http: URL holds a colon; a file name relative to this one does not
      const mapPath = resolve(dirname(file), decodeURIComponent(map));
      if (host.stat(mapPath) === 0 && inApp(host.realpath(mapPath))) assets.add(host.realpath(mapPath));
    }
    for (const script of executableSubcommands(source, file)) add(script, true);
    for (const dyn of parsed.dynamic) {
      const matches =
        dyn.parts && (dyn.kind === 'require' || dyn.kind === 'require.resolve' || dyn.kind === 'dynamic-import' || dyn.kind === 'url')
          ? expandPattern(dyn.parts, file, input.appRoot)
          : undefined;
      if (matches && matches.length > 0) {
        // new URL(`./data/${name}`, import.meta.url) names files to read, or a worker's script; scripts
        // are followed leniently, as for a literal URL (they may be browser code).
        for (const m of matches) kindByName(m, host, target.detectModule) === 'asset' ? assets.add(m) : add(m, dyn.kind === 'url');
        if (matches.length >= MAX_PATTERN_FILES) {
          diagnostics.push({
            severity: 'warning',
            code: 'dynamic-pattern',
            file,
            ...where(dyn.offset),
            message: `the computed path matched ${MAX_PATTERN_FILES} or more files; only the first ${MAX_PATTERN_FILES} are packed`,
          });
        }
        continue;
      }
      diagnostics.push({
        severity: 'info',
        code: 'dynamic',
        file,
        ...where(dyn.offset),
        message: `${dyn.kind === 'dynamic-import' ? 'import()' : dyn.kind === 'url' ? 'new URL()' : `${dyn.kind}()`} with a computed path is not traced; pack the files it loads with --assets`,
      });
    }
  }
  if (quietFrom !== undefined) diagnostics.splice(quietFrom);
  for (const r of requiresOfFiles) {
    if (files.get(r.found) !== 'module' || !importsPackedFiles.has(r.found)) continue;
    // A warning, not an error: code may reach such a require() only on lines where it works (a check
    // of process.versions), which no build can see.
    diagnostics.push({
      severity: 'warning',
      code: r.ref.optional ? 'require-esm-optional' : 'require-esm',
      file: r.file,
      specifier: r.ref.specifier,
      line: r.line,
      column: r.column,
      message:
        `require('${r.ref.specifier}') loads an ES module that imports other files: Node ${target.version} links the imports of a ` +
        'required ES module with its default resolver, which cannot see packed files, so this require() fails in the executable' +
        (r.ref.optional
          ? ' (inside try/catch: left to the app)'
          : '; build for Node 22.15 or later (-t node22 or -t node24), or load it with import()'),
    });
  }
  return { files, assets, requires, imports, diagnostics };
}

const JS_FILE = /\.[cm]?js$/;

/** The JavaScript files in `folder` and below, but for node_modules. */
function scriptsIn(folder: string): string[] {
  return fg.sync('**/*.{js,cjs,mjs}', { cwd: folder, absolute: true, dot: true, ignore: ['**/node_modules/**'] }).map((f) => resolve(f));
}
/** Glob syntax in a built path: wildcards, classes, alternatives ({a,b}, not a {{placeholder}}). */
const GLOB = /[*?[]|\{[^{}]*,[^{}]*\}/;
/** A placeholder in a path pattern: {{lng}} (i18next), {name}. */
const PLACEHOLDER = /\{\{?\w+\}?\}/;

/**
 * commander's executable subcommands: `.command('install [name]', 'description')` (a description as the
 * second argument) runs `<program>-install.js` beside the script in a child process, a file no literal
 * names. The scripts beside `file` that end in `-<subcommand>.js` (.cjs, .mjs) are followed.
 */
function executableSubcommands(source: string, file: string): string[] {
  const names = new Set<string>();
  for (const m of source.matchAll(/\.command\(\s*(['"`])([\w:.-]+)[^'"`]*\1\s*,\s*['"`]/g)) names.add(m[2]!);
  if (names.size === 0) return [];
  const dir = dirname(file);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const wanted = [...names].map((name) => `-${name}`);
  return entries
    .filter((entry) => JS_FILE.test(entry) && wanted.some((suffix) => entry.replace(JS_FILE, '').endsWith(suffix)))
    .map((entry) => join(dir, entry))
    .filter((path) => path !== file);
}

function describe(ref: Reference): string {
  switch (ref.kind) {
    case 'require.resolve':
      return 'require.resolve';
    case 'dynamic-import':
      return 'import()';
    case 'import':
      return 'import';
    case 'import.meta.resolve':
      return 'import.meta.resolve';
    default:
      return 'require';
  }
}

function isExternalPath(path: string, external: ReadonlySet<string>): boolean {
  if (external.size === 0) return false;
  const root = packageRootOf(path);
  if (!root) return false;
  const nm = root.lastIndexOf(`${sep}node_modules${sep}`);
  return external.has(
    root
      .slice(nm + 14)
      .split(sep)
      .join('/'),
  );
}

/**
 * Files a computed relative specifier can name: './locales/' + x + '.json' -> ./locales/**\/*.json.
 * Only specifiers that start with a literal relative folder, and only inside the app root.
 */
function expandPattern(parts: string[], from: string, appRoot: string): string[] | undefined {
  const first = parts[0]!;
  if (!(first.startsWith('./') || first.startsWith('../'))) return undefined;
  let pattern = '';
  parts.forEach((part, i) => {
    pattern += part === '' ? '' : fg.escapePath(part); // (fast-glob refuses an empty string)
    if (i < parts.length - 1) pattern += part.endsWith('/') ? '**/*' : '*';
  });
  return globInApp(pattern, from, appRoot);
}

/**
 * The files a glob relative to `from`'s folder matches inside the app (never in node_modules, never
 * above the app), at most MAX_PATTERN_FILES; undefined when the glob reaches outside the app.
 */
function globInApp(pattern: string, from: string, appRoot: string): string[] | undefined {
  const absolutePattern = resolve(dirname(from), pattern);
  const rel = relative(appRoot, absolutePattern);
  if (rel.startsWith('..') || isAbsolute(rel)) return undefined;
  const found = fg.sync(rel.split(sep).join('/'), {
    cwd: appRoot,
    absolute: true,
    onlyFiles: true,
    dot: false,
    ignore: ['**/node_modules/**'],
  });
  return found
    .slice(0, MAX_PATTERN_FILES)
    .map((p) => resolve(p))
    .filter((p) => statSync(p, { throwIfNoEntry: false })?.isFile());
}
