/**
 * Settings from the "oxpack" field of the app's package.json. Flags given on the command line (or to
 * build()) win over these.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { OxpackError } from '../errors.js';

export interface FileConfig {
  assets?: string[];
  external?: string[];
  /** Globs of packed paths left out of the executable, as --exclude. */
  exclude?: string[];
  compress?: 'brotli' | 'gzip';
  codeCache?: boolean;
  allowNodeOptions?: boolean;
  verifyData?: boolean;
  /** Globs of packed paths installed beside the executable instead of inside it. */
  beside?: string[];
  /** Folder, beside the executable, that those files go to. */
  besidePrefix?: string;
  /** node<version>[-<os>-<arch>], as --target. */
  target?: string;
}

const KNOWN: Record<keyof FileConfig, 'string[]' | 'string' | 'compression' | 'boolean'> = {
  assets: 'string[]',
  external: 'string[]',
  exclude: 'string[]',
  compress: 'compression',
  codeCache: 'boolean',
  beside: 'string[]',
  besidePrefix: 'string',
  target: 'string',
  allowNodeOptions: 'boolean',
  verifyData: 'boolean',
};

type Check = [(value: unknown) => boolean, string];
const CHECKS: Record<'string[]' | 'string' | 'compression' | 'boolean', Check> = {
  'string[]': [(v) => Array.isArray(v) && v.every((s) => typeof s === 'string'), 'an array of strings'],
  string: [(v) => typeof v === 'string' && v.length > 0, 'a non-empty string'],
  boolean: [(v) => typeof v === 'boolean', 'true or false'],
  compression: [(v) => v === 'brotli' || v === 'gzip', '"brotli" or "gzip"'],
};

/** The nearest folder at or above `dir` holding a package.json, or undefined. */
export function findProjectRoot(dir: string): string | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      readFileSync(path.join(d, 'package.json'));
      return d;
    } catch {
      if (path.dirname(d) === d) return undefined;
    }
  }
}

export function readPackageConfig(projectRoot: string): FileConfig {
  const file = path.join(projectRoot, 'package.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    // No package.json: a single-file app without dependencies, and nothing to configure.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new OxpackError('OXPACK_CONFIG', `cannot read ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new OxpackError('OXPACK_CONFIG', `${file} is not valid JSON: ${(err as Error).message}`, {
      hint: 'fix the package.json (node would refuse it too)',
    });
  }
  const field = (json as { oxpack?: unknown } | null)?.oxpack;
  if (field === undefined) return {};
  return validateConfig(field, `the "oxpack" field of ${file}`);
}

export function validateConfig(value: unknown, where: string): FileConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OxpackError('OXPACK_CONFIG', `${where} must be an object`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const type = KNOWN[key as keyof FileConfig];
    if (!type) {
      const suggestion = closest(key, Object.keys(KNOWN));
      throw new OxpackError('OXPACK_CONFIG', `unknown setting "${key}" in ${where}`, {
        hint: suggestion ? `did you mean "${suggestion}"?` : `known settings: ${Object.keys(KNOWN).join(', ')}`,
      });
    }
    const [valid, expected] = CHECKS[type];
    if (!valid(v)) throw new OxpackError('OXPACK_CONFIG', `"${key}" in ${where} must be ${expected}`);
    out[key] = v;
  }
  return out as FileConfig;
}

/** The known name within edit distance 2 of `name`, if any. */
export function closest(name: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/** Config files looked for in the project root, in this order. */
export const CONFIG_FILES = ['oxpack.config.json', 'oxpack.config.mjs', 'oxpack.config.js'] as const;

/**
 * Settings from a config file: the one `--config` names, else the first of CONFIG_FILES in the project
 * root. JSON files hold the settings object; .js and .mjs files export it (default export, or
 * module.exports), or a function returning it. They win over the package.json "oxpack" field.
 */
export async function readConfigFile(projectRoot: string, explicit?: string): Promise<{ file?: string; config: FileConfig }> {
  let file = explicit;
  if (file === undefined) {
    const found = CONFIG_FILES.map((name) => path.join(projectRoot, name)).filter((f) => existsSync(f));
    if (found.length > 1) {
      throw new OxpackError(
        'OXPACK_CONFIG',
        `more than one config file in ${projectRoot}: ${found.map((f) => path.basename(f)).join(', ')}`,
        {
          hint: 'keep one of them',
        },
      );
    }
    file = found[0];
    if (file === undefined) return { config: {} };
  } else if (!existsSync(file)) {
    throw new OxpackError('OXPACK_CONFIG', `the config file ${file} does not exist`, { hint: 'check the path given to --config' });
  }
  let value: unknown;
  if (file.endsWith('.json')) {
    try {
      value = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new OxpackError('OXPACK_CONFIG', `${file} is not valid JSON: ${(err as Error).message}`);
    }
  } else {
    try {
      const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
      value = mod.default ?? mod;
      if (typeof value === 'function') value = await (value as () => unknown)();
    } catch (err) {
      throw new OxpackError('OXPACK_CONFIG', `cannot load ${file}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return { file, config: validateConfig(value, file) };
}
