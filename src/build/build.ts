/**
 * build(): the whole pipeline the CLI runs, one step after another in the direction of the data:
 * trace -> collect (packages whole, assets) -> serialize -> executable (SEA blob + injection).
 */
import { createHash } from 'node:crypto';
import { accessSync, constants, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { OxpackError } from '../errors.js';
import { formatSize, plural } from '../units.js';
import type { PackedMeta } from '../format/layout.js';
import { serializeResources } from '../format/writer.js';
import { oxpackVersion } from '../version.js';
import picomatch from 'picomatch';
import { invalidNameReason } from '../format/names.js';
import { isTypeScriptSource } from './classify.js';
import { addResources, assetScripts, type AssetPattern, collectFiles, type Placement } from './collect.js';
import { type FileConfig, findProjectRoot, readConfigFile, readPackageConfig } from './config.js';
import { conventionAssets } from './conventions.js';
import { type Excluded, excludeFiles, type ExcludePattern } from './exclude.js';
import type { Diagnostic } from './diagnostics.js';
import { DiskHost } from './disk-host.js';
import { codeCacheKeepsNames } from '../runtime/code-cache.js';
import { addCodeCaches, esmHooksCodeCache, runtimeCodeCache } from './code-cache.js';
import { mayCallImport, ResourceCollector, type FileInstall } from './collector.js';
import { packageNameOf } from './packages.js';
import { locateBlob } from '../format/locate.js';
import { bootstrapPath, type BundleCaches, esmHooksPath, loaderPath, SENTINEL_FUSE, writeError, writeExecutable } from './sea.js';
import { hostTarget, ignoresNodeOptions, probeTarget, resolveTarget, type TargetInfo } from './target.js';
import { parseTargetSpec } from './target-spec.js';
import { trace } from './trace.js';
import { precomputeResolutions } from './resolutions.js';
import { conditionsKey, defaultConditions } from '../resolver/conditions.js';
import { writeAtomically, writeInstalls } from './output.js';

export interface BuildOptions {
  /** The script node would run. */
  entry: string;
  /** Where the executable (or the resources file) is written. */
  output: string;
  /** Folder relative paths are taken from (default: process.cwd()). */
  cwd?: string;
  /** Globs of extra files to pack, relative to cwd; the package.json "oxpack" field adds more. */
  assets?: string[];
  /** Packages left out, resolved from a node_modules folder beside the executable at run time. */
  external?: string[];
  /**
   * Globs of packed paths (relative to the app root, as `oxpack inspect` lists them, e.g.
   * "node_modules/**\/*.d.ts") left out of the executable; a folder's name leaves out all it holds.
   * Files the app is known to load stay (exclude.ts).
   */
  exclude?: string[];
  /** Node binary to build from (default: the Node running oxpack). */
  node?: string;
  /**
   * node<version>[-<os>-<arch>]: the Node binary comes from the npm registry (cached per user); for
   * another platform the blob is made by the same version built for this machine.
   */
  target?: string;
  /** Never ask the npm registry for Node binaries: they must be in the cache. */
  offline?: boolean;
  /** Compress packed files (each decoded on first read). */
  compress?: 'brotli' | 'gzip';
  /** Let the target Node add a code cache for the start-up script (default: true when it runs here). */
  codeCache?: boolean;
  /** Let NODE_OPTIONS reach the packed app (default: ignored, or refused where Node cannot ignore it). */
  allowNodeOptions?: boolean;
  /** Check the SHA-256 of the index and of the data at every start, not only the index checksum. */
  verifyData?: boolean;
  /** Write only the packed resources file, to run with `oxpack run` or the Finder API. */
  resourcesOnly?: boolean;
  /**
   * Globs of packed paths (relative to the app root, e.g. "**\/*.node", "media/**") whose files are
   * installed beside the output instead of inside it, and found there at run time.
   */
  beside?: string[];
  /** Folder beside the output that those files go to (default: "<output name>.files"). */
  besidePrefix?: string;
  /** A config file (oxpack.config.json, .mjs or .js); default: the one in the project root, if any. */
  config?: string;
  /** Progress and problems as they happen. */
  onEvent?: (event: BuildEvent) => void;
}

export type BuildStep = 'target' | 'trace' | 'collect' | 'code-cache' | 'serialize' | 'inject';
export type BuildEvent =
  | { type: 'step'; step: BuildStep; state: 'start' }
  | { type: 'step'; step: BuildStep; state: 'done'; ms: number; detail?: string }
  | { type: 'diagnostic'; diagnostic: Diagnostic }
  | { type: 'progress'; message: string };

export interface PackageSummary {
  name: string;
  version: string | undefined;
  /** Path of the package folder relative to the app root. */
  path: string;
  files: number;
  bytes: number;
}

export interface AddonSummary {
  /** Packed path, relative to the app root. */
  name: string;
  location: string;
}

export interface BuildResult {
  output: string;
  /** Size of the output file in bytes. */
  size: number;
  /** Size of the packed resources. */
  resourcesSize: number;
  entry: string;
  files: number;
  packages: PackageSummary[];
  fileInstalls: string[];
  /** Native addons, and where they are loaded from at run time. */
  addons: AddonSummary[];
  /** Files left out by the exclude patterns, and their bytes. */
  excluded: Excluded;
  /** The output already held exactly this build (a rebuild of an unchanged app): nothing was written. */
  unchanged: boolean;
  target: { version: string; platform: string; arch: string; binary: string };
  diagnostics: Diagnostic[];
  /** Milliseconds per step. */
  timings: Record<BuildStep, number>;
}

export async function build(options: BuildOptions): Promise<BuildResult> {
  const emit = options.onEvent ?? (() => undefined);
  const timings: Record<BuildStep, number> = { target: 0, trace: 0, collect: 0, 'code-cache': 0, serialize: 0, inject: 0 };
  const step = async <T>(name: BuildStep, fn: () => T | Promise<T>, detail?: (value: T) => string): Promise<T> => {
    emit({ type: 'step', step: name, state: 'start' });
    const started = performance.now();
    const value = await fn();
    timings[name] = Math.round(performance.now() - started);
    const text = detail?.(value);
    emit({ type: 'step', step: name, state: 'done', ms: timings[name], ...(text ? { detail: text } : {}) });
    return value;
  };
  const diagnostics: Diagnostic[] = [];
  const report = (d: Diagnostic): void => {
    diagnostics.push(d);
    emit({ type: 'diagnostic', diagnostic: d });
  };

  const cwd = path.resolve(options.cwd ?? process.cwd());
  const entry = checkEntry(cwd, options.entry);
  let output = checkOutput(cwd, options.output, entry);
  const projectRoot = findProjectRoot(path.dirname(entry)) ?? path.dirname(entry);
  const fromFile = await readConfigFile(projectRoot, options.config === undefined ? undefined : path.resolve(cwd, options.config));
  const config: FileConfig = { ...readPackageConfig(projectRoot), ...fromFile.config };
  const external = new Set([...(config.external ?? []), ...(options.external ?? [])]);
  const compression = options.compress ?? config.compress;
  const targetText = options.target ?? config.target;
  const spec = targetText === undefined ? undefined : parseTargetSpec(targetText);
  const target: TargetInfo = await step(
    'target',
    () =>
      spec
        ? resolveTarget(spec, {
            ...(options.node ? { binary: path.resolve(cwd, options.node) } : {}),
            ...(options.offline ? { offline: true } : {}),
            onProgress: (message) => emit({ type: 'progress', message }),
          })
        : options.node
          ? probeTarget(path.resolve(cwd, options.node))
          : hostTarget(),
    (t) => `Node ${t.version} ${t.platform}-${t.arch}${t.crossPlatform ? ' (cross-platform: no code cache)' : ''}`,
  );
  // Windows runs only files named .exe.
  if (target.platform === 'win32' && !options.resourcesOnly && !/\.exe$/i.test(output)) output = checkOutput(cwd, `${output}.exe`, entry);
  if (output === target.binary) throw sameAsInput(output, 'the Node binary it is built from');

  const exclude: ExcludePattern[] = [
    ...(config.exclude ?? []).map((glob) => ({ glob, where: 'the config\'s "exclude"' })),
    ...(options.exclude ?? []).map((glob) => ({ glob, where: '--exclude' })),
  ];
  const assets: AssetPattern[] = [
    ...(config.assets ?? []).map((glob) => ({ glob, from: projectRoot, where: 'package.json "oxpack.assets"' })),
    ...(options.assets ?? []).map((glob) => ({ glob, from: cwd, where: '--assets' })),
    ...conventionAssets(projectRoot),
  ];

  // 1. Trace the app from its entry point (and from scripts among the assets).
  const host = new DiskHost(new Set(target.builtins));
  const traced = await step(
    'trace',
    () => trace({ entry, host, target, external, appRoot: projectRoot, scripts: assetScripts(assets) }),
    (t) => `${plural(t.files.size, 'file')} reached`,
  );
  traced.diagnostics.forEach(report);
  const errors = traced.diagnostics.filter((d) => d.severity === 'error');
  const typescript = errors.filter((d) => d.code === 'typescript');
  if (typescript.length > 0) {
    throw new OxpackError(
      'OXPACK_TYPESCRIPT',
      `${typescript.length === 1 ? 'an import of the app loads' : `${typescript.length} imports of the app load`} TypeScript, which oxpack does not pack as code`,
      {
        details: typescript.map((d) => `${path.relative(cwd, d.file ?? '') || d.file}:${d.line}:${d.column}: ${d.message}`),
        hint: TYPESCRIPT_HINT,
      },
    );
  }
  if (errors.length > 0) {
    throw new OxpackError(
      'OXPACK_UNRESOLVED',
      `${errors.length === 1 ? 'an import' : `${errors.length} imports`} of the app cannot be resolved`,
      {
        details: errors.map((d) => `${path.relative(cwd, d.file ?? '') || d.file}:${d.line}:${d.column}: ${d.message}`),
        hint: 'install what is missing, fix the specifier, wrap an optional require in try/catch, or leave a package out with --external <name>',
      },
    );
  }

  // Lines without module.registerHooks (before 22.15) serve packed ES modules from a module.register()
  // hooks thread, a second Node instance started with the first ES module: an app whose entry is one
  // pays it on every start (docs/benchmarks.md, yargs 18), and the fix is a flag away.
  if (!target.syncHooks && traced.files.get(entry) === 'module') {
    report({
      severity: 'warning',
      code: 'esm-hooks-thread',
      file: entry,
      message:
        `an ES module entry: Node ${target.version} loads packed ES modules through a module.register() hooks thread, ` +
        "which adds about 25 ms and 13 MB to every start; Node 22.15 and later load them in the app's own thread (build with -t node24 or -t node22)",
    });
  }

  // 2. Collect: traced files, whole packages with their dependencies, assets.
  const collector = new ResourceCollector({ allowedLocations: ['in-memory', 'filesystem-relative'] });
  const place = placement(options, config, output);
  const { collected, excluded, stats } = await step(
    'collect',
    () => {
      const collected = collectFiles({ traced, host, target, external, assets, output, report });
      const excluded = excludeFiles(collected, exclude, new Set([...traced.files.keys(), ...traced.assets]), report);
      return { collected, excluded, stats: addResources(collected, collector, host, target, report, place) };
    },
    (c) =>
      `${plural(c.collected.files.size, 'file')}, ${plural(c.collected.packages.length, 'package')}` +
      (c.excluded.files > 0 ? `, ${plural(c.excluded.files, 'file')} left out (${formatSize(c.excluded.bytes)})` : ''),
  );
  const nameOf = (p: string): string => path.relative(collected.base, p).split(path.sep).join('/');

  // 3. Code cache, made by the target Node (it must run here): of the runtime bundle an executable
  //    starts with, and of every packed CommonJS module where its V8 keeps file names when it
  //    consumes a cache (Node 22+), which the first starts use until one makes fuller caches of
  //    its own (see runtime/code-cache.ts; Node 20 starts without).
  const codeCache = !target.crossPlatform && (options.codeCache ?? config.codeCache ?? true);
  const allowNodeOptions = options.allowNodeOptions ?? config.allowNodeOptions ?? false;
  const moduleCaches = codeCache && codeCacheKeepsNames(target.version);
  const bundleCaches: BundleCaches = {};
  if (codeCache && (moduleCaches || !options.resourcesOnly)) {
    await step(
      'code-cache',
      async () => {
        if (!options.resourcesOnly) {
          bundleCaches.runtime = await runtimeCodeCache(target);
          // The hooks thread's, where the target starts one for ES modules (before 22.15).
          if (!target.syncHooks) bundleCaches.esmHooks = await esmHooksCodeCache(target);
        }
        // Modules that may call import() get no build-time cache: they compile from source until the
        // executable has made a local one, which Node 22+ can use for them (runtime/cjs-hooks.ts).
        const modules = collector.inMemory('commonjs').filter((m) => !mayCallImport(m));
        return moduleCaches ? addCodeCaches(target, modules) : { count: 0, bytes: 0, reused: 0 };
      },
      (r) =>
        [
          ...(moduleCaches ? [`${plural(r.count, 'module')}, ${formatSize(r.bytes)}`] : []),
          ...(bundleCaches.runtime ? ['runtime'] : []),
          ...(bundleCaches.esmHooks ? ['ES module hooks'] : []),
        ].join(' + '),
    );
  }

  // 4. Serialize, with the answers to the traced modules' literal require() and import specifiers.
  const conditions = defaultConditions({ requireModule: target.requireModule, packedRequireEsm: target.syncHooks });
  const byName = (byFile: Map<string, Set<string>>): Map<string, Set<string>> => {
    const out = new Map<string, Set<string>>();
    for (const [file, specifiers] of byFile) {
      const name = nameOf(file);
      if (!name.startsWith('../') && !path.isAbsolute(name)) out.set(name, specifiers);
    }
    return out;
  };
  const requires = byName(traced.requires);
  const imports = byName(traced.imports);
  const resolves = requires.size > 0 || imports.size > 0;
  const meta: PackedMeta = {
    oxpack: oxpackVersion(),
    node: target.version,
    platform: `${target.platform}-${target.arch}`,
    entry: nameOf(entry),
    ...(external.size > 0 ? { external: [...external].sort() } : {}),
    ...(!allowNodeOptions && !ignoresNodeOptions(target.version) ? { guardNodeOptions: true } : {}),
    ...((options.verifyData ?? config.verifyData) ? { verifyData: true } : {}),
    ...(codeCache ? { localCodeCache: true } : {}),
    ...(resolves ? { resolvedWith: { require: conditionsKey(conditions.require), import: conditionsKey(conditions.import) } } : {}),
    // What else goes into the executable: an unchanged blob then means an unchanged executable.
    ...(options.resourcesOnly ? {} : { build: executableInputs(target, codeCache, allowNodeOptions) }),
  };
  const { blob, fileInstalls, addons } = await step(
    'serialize',
    () => {
      const oxidized = collector.oxidize(compression ? { compression } : {});
      // A file holding Node's SEA fuse string would make the executable carry it twice; compressed, it does not.
      for (const entry of oxidized.resources) if (stats.fused.includes(entry.name)) entry.compression = 'brotli';
      let blob: Buffer;
      if (resolves) {
        // Worked out over a skeleton of the blob: the resolvers read names, kinds, links and
        // package.json files, nothing else, so the other files go in empty.
        const skeleton = serializeResources(
          oxidized.resources.map((e) =>
            e.kind === 'package.json' || e.kind === 'symlink'
              ? { name: e.name, kind: e.kind, data: e.data }
              : { name: e.name, kind: e.kind },
          ),
          meta,
        );
        const resolutions = precomputeResolutions(skeleton, { requires, imports }, conditions, new Set(target.builtins));
        blob = serializeResources(oxidized.resources, meta, { resolutions });
      } else {
        blob = serializeResources(oxidized.resources, meta);
      }
      if (!options.resourcesOnly && blob.includes(SENTINEL_FUSE)) {
        throw new OxpackError(
          'OXPACK_FUSE',
          `packed files contain Node's single-executable fuse string, which must occur only once in an executable: ${stats.fused.join(', ')}`,
          {
            hint: 'leave those files out (they are usually Node or postject sources) or mark their package --external',
          },
        );
      }
      const addons = oxidized.resources
        .filter((e) => e.kind === 'addon')
        .map((e): AddonSummary => ({
          name: e.name,
          location: e.relativePath ? `beside: ${e.relativePath}` : 'extracted to the addon cache',
        }));
      return { blob, fileInstalls: oxidized.fileInstalls, addons };
    },
    (r) => formatSize(r.blob.length),
  );

  // 5. Write the executable (or the resources file) and any files installed beside it.
  // Installs first: the output appears last, and only when everything before it succeeded.
  let size = 0;
  let unchanged = false;
  await step(
    'inject',
    async () => {
      await writeInstalls(path.dirname(output), fileInstalls);
      if (options.resourcesOnly) {
        await writeAtomically(output, blob, 0o644);
        size = blob.length;
      } else if (holdsBlob(output, blob)) {
        size = statSync(output).size; // a rebuild of an unchanged app: nothing to inject
        unchanged = true;
      } else {
        size = await writeExecutable({
          target,
          resources: blob,
          output,
          // A code cache is made by the blob's Node for its own platform; elsewhere V8 would reject it.
          useCodeCache: codeCache,
          caches: bundleCaches,
          allowNodeOptions,
        });
      }
    },
    () => (unchanged ? 'the output already holds this build: nothing injected' : formatSize(size)),
  );
  if (target.platform === 'darwin' && !options.resourcesOnly) {
    report({
      severity: 'warning',
      code: 'macos-signature',
      file: output,
      message: `macOS runs ${path.basename(output)} only once it is signed again (its Node signature was removed to inject the app): run \`codesign --sign - ${path.basename(output)}\` on a Mac, or sign it with your Developer ID`,
    });
  }

  return {
    output,
    size,
    resourcesSize: blob.length,
    entry,
    files: collected.files.size,
    packages: collected.packages.map((dir) => {
      const counts = stats.packageBytes.get(dir) ?? { files: 0, bytes: 0 };
      return { name: packageNameOf(dir), version: readVersion(dir), path: nameOf(dir), files: counts.files, bytes: counts.bytes };
    }),
    fileInstalls: fileInstalls.map((f: FileInstall) => f.path),
    addons,
    excluded,
    unchanged,
    target: { version: target.version, platform: target.platform, arch: target.arch, binary: target.binary },
    diagnostics,
    timings,
  };
}

/** Which files go beside the output: those matching the "beside" globs, under the prefix folder. */
function placement(options: BuildOptions, config: FileConfig, output: string): Placement {
  const globs = [...(config.beside ?? []), ...(options.beside ?? [])];
  if (globs.length === 0) return () => undefined;
  const prefix = (options.besidePrefix ?? config.besidePrefix ?? `${path.basename(output, path.extname(output))}.files`).replace(
    /\\/g,
    '/',
  );
  const reason = invalidNameReason(prefix);
  if (reason || prefix === '') {
    throw new OxpackError(
      'OXPACK_CONFIG',
      `the beside prefix "${prefix}" is not a folder name inside the output's folder: ${reason ?? 'it is empty'}`,
      {
        hint: 'use a relative folder name such as "lib" or "app.files"',
      },
    );
  }
  const matches = picomatch(globs, { dot: true });
  return (name) => (matches(name) ? prefix : undefined);
}

/** A fingerprint of the executable's other inputs: the runtime, the Node binary, the SEA settings. */
function executableInputs(target: TargetInfo, codeCache: boolean, allowNodeOptions: boolean): string {
  const binary = statSync(target.binary);
  return createHash('sha256')
    .update(readFileSync(bootstrapPath()))
    .update(readFileSync(esmHooksPath()))
    .update(readFileSync(loaderPath()))
    .update(JSON.stringify([target.binary, binary.size, binary.mtimeMs, target.version, codeCache, allowNodeOptions]))
    .digest('hex')
    .slice(0, 16);
}

/** Whether the executable at `output` already carries exactly `blob` (and so is what this build makes). */
function holdsBlob(output: string, blob: Buffer): boolean {
  try {
    const st = statSync(output);
    if (!st.isFile() || (st.mode & 0o111) === 0 || st.size < blob.length) return false;
    const { index } = locateBlob(readFileSync(output));
    return Buffer.from(index.buffer.buffer, index.buffer.byteOffset, index.buffer.byteLength).equals(blob);
  } catch {
    return false;
  }
}

/**
 * TypeScript, which Node 22.18+ runs by stripping its types: oxpack packs JavaScript only, and says so
 * rather than build an executable whose first import fails.
 */
const TYPESCRIPT_HINT = 'compile the app to JavaScript first (tsc, or esbuild) and pack what that writes, e.g. oxpack dist/app.js -o app';

function checkEntry(cwd: string, entry: string | undefined): string {
  if (!entry) {
    throw new OxpackError('OXPACK_USAGE', 'no entry point given', { hint: 'name the script node would run: oxpack server.js -o server' });
  }
  const abs = path.resolve(cwd, entry);
  const st = statSync(abs, { throwIfNoEntry: false });
  if (!st) {
    throw new OxpackError('OXPACK_ENTRY', `the entry point ${entry} does not exist (looked for ${abs})`, {
      hint: 'pass the path of the script you run with node, relative to the current folder',
    });
  }
  if (st.isDirectory()) {
    throw new OxpackError('OXPACK_ENTRY', `the entry point ${entry} is a folder`, {
      hint: `name the script itself, e.g. ${path.join(entry, 'index.js')}`,
    });
  }
  if (isTypeScriptSource(abs)) {
    throw new OxpackError(
      'OXPACK_ENTRY',
      `the entry point ${entry} is TypeScript: oxpack packs JavaScript and does not strip types as node does`,
      {
        hint: TYPESCRIPT_HINT,
      },
    );
  }
  return realpathSync(abs);
}

function checkOutput(cwd: string, output: string | undefined, entry: string): string {
  if (!output) throw new OxpackError('OXPACK_USAGE', 'no output path given', { hint: 'add -o <file>, e.g. oxpack server.js -o server' });
  const abs = path.resolve(cwd, output);
  const dir = path.dirname(abs);
  const dirStat = statSync(dir, { throwIfNoEntry: false });
  if (!dirStat?.isDirectory()) {
    throw new OxpackError('OXPACK_OUTPUT', `cannot write ${abs}: the folder ${dir} does not exist`, {
      hint: 'create the folder first or choose another path with -o',
    });
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw writeError(err, abs);
  }
  const existing = statSync(abs, { throwIfNoEntry: false });
  if (existing?.isDirectory())
    throw new OxpackError('OXPACK_OUTPUT', `cannot write ${abs}: it is a folder`, {
      hint: `name the file to create, e.g. ${path.join(output, path.basename(entry, path.extname(entry)))}`,
    });
  const real = existing ? realpathSync(abs) : path.join(realpathSync(dir), path.basename(abs));
  if (real === entry) throw sameAsInput(real, 'the entry point');
  return real;
}

function sameAsInput(output: string, what: string): OxpackError {
  return new OxpackError('OXPACK_OUTPUT', `the output ${output} is ${what}: writing it would destroy an input`, {
    hint: 'choose another output path with -o',
  });
}

function readVersion(dir: string): string | undefined {
  try {
    const v = (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: unknown }).version;
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}
