/**
 * The Node binary an executable is built from. The SEA blob must be produced by exactly that Node
 * version, and resolution must use that line's conditions and built-ins, so everything the build
 * needs to know about it is asked of the binary itself.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { promisify } from 'node:util';
import { hasRegisterHooks } from '../builtins.js';
import { OxpackError } from '../errors.js';
import { fetchNode, type FetchOptions } from './node-binaries.js';
import { hostArch, hostOs, nodePlatform, type TargetSpec } from './target-spec.js';

const run = promisify(execFile);

export interface TargetInfo {
  /** Absolute path of the Node binary whose copy becomes the executable. */
  binary: string;
  /** process.version, e.g. "v20.20.2". */
  version: string;
  platform: NodeJS.Platform;
  arch: string;
  /** require(esm) is enabled by default (adds the "module-sync" condition). */
  requireModule: boolean;
  /** Untyped .js files with ESM syntax are loaded as ES modules. */
  detectModule: boolean;
  /** module.registerHooks exists (22.15+): synchronous in-thread hooks that also cover require(esm). */
  syncHooks: boolean;
  /**
   * require() of a file without an extension follows its package's "type" as for a .js file (26+):
   * before, it was CommonJS (or detected from its syntax) even in a "type": "module" package.
   */
  extensionlessByType: boolean;
  /** Built-in modules that can be required without the node: scheme. */
  builtins: string[];
  /** True when the binary is the Node running oxpack. */
  isHost: boolean;
  /**
   * The Node that produces the SEA blob: the target itself when it runs here, else the same version
   * built for this machine (a blob is made by exactly the target's version).
   */
  blobBinary: string;
  /** Built for another platform: no code cache, and the binary is never run here. */
  crossPlatform: boolean;
}

export const MINIMUM_NODE = [20, 12, 0] as const;

export function parseVersion(version: string): [number, number, number] {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) throw new OxpackError('OXPACK_TARGET', `cannot read the Node version "${version}"`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

export function atLeast(version: string, min: readonly [number, number, number]): boolean {
  const v = parseVersion(version);
  for (let i = 0; i < 3; i++) if (v[i] !== min[i]) return v[i]! > min[i]!;
  return true;
}

/**
 * Node 26 made require() read "type" for files without an extension (nodejs/node#61600); 25.x, where
 * it landed first, went back to the old rule for "type": "module" (nodejs/node#62083).
 */
function extensionlessByType(version: string): boolean {
  return parseVersion(version)[0] >= 26;
}

/** Syntax detection for untyped .js shipped unflagged in 22.7 and was backported to 20.19. */
function detectsModules(version: string): boolean {
  const [major] = parseVersion(version);
  return major === 20 ? atLeast(version, [20, 19, 0]) : atLeast(version, [22, 7, 0]);
}

const PROBE = `process.stdout.write(JSON.stringify({
  version: process.version, platform: process.platform, arch: process.arch,
  requireModule: Boolean(process.features.require_module),
  builtins: require('module').builtinModules,
  sea: (() => { try { return typeof require('node:sea').isSea === 'function'; } catch { return false; } })()
}))`;

function checkVersion(info: TargetInfo): TargetInfo {
  if (!atLeast(info.version, MINIMUM_NODE)) {
    throw new OxpackError(
      'OXPACK_TARGET',
      `Node ${info.version} (${info.binary}) is too old: oxpack needs Node ${MINIMUM_NODE.join('.')} or later`,
      {
        hint: 'single executable applications with assets arrived in Node 20.12; use a newer Node with --node <path>',
      },
    );
  }
  return info;
}

/** The Node running oxpack: no process needs to be started to learn about it. */
export function hostTarget(): TargetInfo {
  return checkVersion({
    binary: realpathSync(process.execPath),
    version: process.version,
    platform: process.platform,
    arch: process.arch,
    requireModule: Boolean((process.features as { require_module?: boolean }).require_module),
    detectModule: detectsModules(process.version),
    syncHooks: hasRegisterHooks(process.version),
    extensionlessByType: extensionlessByType(process.version),
    builtins: builtinModules.filter((m) => !m.startsWith('node:')),
    isHost: true,
    blobBinary: realpathSync(process.execPath),
    crossPlatform: false,
  });
}

/** A Node binary given by path (--node): asked about itself. */
export async function probeTarget(binary: string): Promise<TargetInfo> {
  let real: string;
  try {
    real = realpathSync(binary);
    if (!statSync(real).isFile()) throw new Error('not a file');
    accessSync(real, constants.X_OK);
  } catch {
    throw new OxpackError('OXPACK_TARGET', `the Node binary "${binary}" does not exist or is not executable`, {
      hint: 'pass the path of a node executable with --node, or leave it out to use the Node running oxpack',
    });
  }
  if (real === realpathSync(process.execPath)) return hostTarget();
  let stdout: string;
  try {
    ({ stdout } = await run(real, ['-e', PROBE], { env: { ...process.env, NODE_OPTIONS: '' }, timeout: 30_000 }));
  } catch (err) {
    throw new OxpackError('OXPACK_TARGET', `"${binary}" did not run as a Node binary: ${(err as Error).message.split('\n')[0]}`, {
      hint: 'a binary for another platform cannot run here; cross-platform targets come with --target',
    });
  }
  const info = JSON.parse(stdout) as Omit<TargetInfo, 'binary' | 'isHost' | 'detectModule' | 'syncHooks' | 'extensionlessByType'> & {
    sea: boolean;
  };
  return checkVersion({
    binary: real,
    version: info.version,
    platform: info.platform,
    arch: info.arch,
    requireModule: info.requireModule,
    detectModule: detectsModules(info.version),
    syncHooks: hasRegisterHooks(info.version),
    extensionlessByType: extensionlessByType(info.version),
    builtins: info.builtins.filter((m) => !m.startsWith('node:')),
    isHost: false,
    blobBinary: real,
    crossPlatform: false,
  });
}

/**
 * A --target: the binary from the npm registry (cached); for another platform, also the same version
 * for this machine, which makes the blob and answers what resolution needs to know (conditions,
 * built-ins: the same on every platform of a version).
 */
export async function resolveTarget(
  spec: TargetSpec,
  options: FetchOptions & { binary?: string } = {},
): Promise<TargetInfo & { fromCache: boolean }> {
  const os = hostOs();
  const arch = hostArch();
  const here = spec.os === os && spec.arch === arch;
  if (options.binary !== undefined && !here && !/^\d+\.\d+\.\d+$/.test(spec.version)) {
    throw new OxpackError(
      'OXPACK_USAGE',
      `--node with a binary for ${spec.os}-${spec.arch} needs the exact version of that binary in --target`,
      {
        hint: `e.g. --target node${spec.version.split('.')[0]}.<minor>.<patch>-${spec.os}-${spec.arch}`,
      },
    );
  }
  // A given binary for another platform (one the registry lacks, such as darwin-arm64) is taken as is.
  const target = options.binary ? { binary: options.binary, version: spec.version, fromCache: true } : await fetchNode(spec, options);
  if (here) {
    const info = await probeTarget(target.binary);
    if (!matchesVersion(info.version, spec.version)) {
      throw new OxpackError('OXPACK_TARGET', `${target.binary} is Node ${info.version}, not the target's ${spec.version}`, {
        hint: 'make --target and --node agree, or give only one of them',
      });
    }
    return { ...info, fromCache: target.fromCache };
  }
  if (!os || !arch) {
    throw new OxpackError('OXPACK_TARGET', `cannot build for ${spec.os}-${spec.arch} on ${process.platform}-${process.arch}`, {
      hint: 'cross-platform builds need a build machine that Node binaries are published for',
    });
  }
  let local;
  try {
    local = await fetchNode({ version: target.version, os, arch }, options);
  } catch (err) {
    throw new OxpackError(
      'OXPACK_TARGET',
      `Node ${target.version} for this machine (${os}-${arch}), which makes the blob for ${spec.os}-${spec.arch}, is not available: ${(err as Error).message}`,
      {
        hint: `pick a version published for both platforms, e.g. --target node${target.version.split('.')[0]}.<minor>.<patch>-${spec.os}-${spec.arch}`,
      },
    );
  }
  const info = await probeTarget(local.binary);
  return {
    ...info,
    binary: target.binary,
    platform: nodePlatform(spec.os),
    arch: spec.arch,
    isHost: false,
    crossPlatform: true,
    fromCache: target.fromCache && local.fromCache,
  };
}

function matchesVersion(actual: string, wanted: string): boolean {
  const v = actual.replace(/^v/, '');
  return v === wanted || v.startsWith(`${wanted}.`);
}

/**
 * Whether the line's SEA honours `execArgvExtension: "none"` (NODE_OPTIONS ignored). Known good from
 * 22.23, 24.21 and 25 on; older lines ignore the setting, so the runtime guards NODE_OPTIONS itself.
 */
export function ignoresNodeOptions(version: string): boolean {
  const [major] = parseVersion(version);
  if (major >= 25) return true;
  if (major === 24) return atLeast(version, [24, 21, 0]);
  if (major === 22) return atLeast(version, [22, 23, 0]);
  return false;
}
