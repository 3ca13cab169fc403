/**
 * `--target node<version>[-<os>-<arch>]`: which Node line, version and platform an executable is for.
 * node24, node22.15, node22.15.0-linux-x64, node26-win-x64, node24-darwin-x64. Without a platform,
 * the build host's.
 */
import { OxpackError } from '../errors.js';
import type { TargetArch, TargetOs } from './node-binaries.js';

export interface TargetSpec {
  /** "24", "24.1" or "24.1.0". */
  version: string;
  os: TargetOs;
  arch: TargetArch;
}

const OS_NAMES: Record<string, TargetOs> = {
  linux: 'linux',
  darwin: 'darwin',
  macos: 'darwin',
  mac: 'darwin',
  win: 'win',
  win32: 'win',
  windows: 'win',
};
const ARCH_NAMES: Record<string, TargetArch> = { x64: 'x64', amd64: 'x64', arm64: 'arm64', aarch64: 'arm64' };

export function hostOs(platform: NodeJS.Platform = process.platform): TargetOs | undefined {
  return OS_NAMES[platform];
}

export function hostArch(arch: string = process.arch): TargetArch | undefined {
  return ARCH_NAMES[arch];
}

/** The platform name Node reports (process.platform) for a target OS. */
export function nodePlatform(os: TargetOs): NodeJS.Platform {
  return os === 'win' ? 'win32' : os;
}

const EXAMPLES = 'e.g. node24, node22.15.0, node24-linux-x64, node26-win-x64 or node24-darwin-x64';

export function parseTargetSpec(text: string): TargetSpec {
  const m = /^node(\d+(?:\.\d+){0,2})(?:-([a-z0-9]+)-([a-z0-9]+))?$/i.exec(text.trim());
  if (!m) {
    throw new OxpackError('OXPACK_USAGE', `cannot read the target "${text}"`, {
      hint: `write node<major>[.<minor>.<patch>][-<os>-<arch>], ${EXAMPLES}`,
    });
  }
  const version = m[1]!;
  const major = Number(version.split('.')[0]);
  const minor = version.includes('.') ? Number(version.split('.')[1]) : undefined;
  if (major < 20 || (major === 20 && minor !== undefined && minor < 12)) {
    throw new OxpackError('OXPACK_TARGET', `Node ${version} is too old: oxpack needs Node 20.12 or later`, {
      hint: 'single executable applications with assets arrived in Node 20.12; target node20, node22, node24 or later',
    });
  }
  let os = hostOs();
  let arch = hostArch();
  if (m[2] !== undefined) {
    os = OS_NAMES[m[2].toLowerCase()];
    arch = ARCH_NAMES[m[3]!.toLowerCase()];
    if (!os)
      throw new OxpackError('OXPACK_USAGE', `unknown operating system "${m[2]}" in the target "${text}"`, {
        hint: 'use linux, darwin or win',
      });
    if (!arch)
      throw new OxpackError('OXPACK_USAGE', `unknown architecture "${m[3]}" in the target "${text}"`, { hint: 'use x64 or arm64' });
  }
  if (!os || !arch) {
    throw new OxpackError(
      'OXPACK_TARGET',
      `this machine (${process.platform}-${process.arch}) is not a platform Node binaries are published for`,
      {
        hint: `name the platform in the target, ${EXAMPLES}`,
      },
    );
  }
  return { version, os, arch };
}
