/**
 * What the resolver needs to know about a filesystem. Build time answers from the real disk; run time
 * answers from the packed index. Paths are absolute, in the platform's own form.
 */
export const enum Stat {
  missing = -1,
  file = 0,
  directory = 1,
}

/** The package.json fields that take part in resolution (as Node's package_json_reader keeps them). */
export interface PackageConfig {
  /** Directory holding the package.json. */
  dir: string;
  name?: string;
  main?: string;
  type?: string;
  exports?: unknown;
  imports?: unknown;
}

export interface ResolverHost {
  /** Node's internalModuleStat convention: file 0, directory 1, anything else missing. Follows symlinks. */
  stat(path: string): Stat;
  /** Canonical path with every symlink resolved. Only called on paths that exist. */
  realpath(path: string): string;
  /** The package.json in `dir`, or undefined when there is none. Throws a Node-shaped error when it is invalid. */
  readPackage(dir: string): PackageConfig | undefined;
  /** Whether `specifier` names a built-in module that can be loaded without the node: scheme. */
  isBuiltin(specifier: string): boolean;
}

/** Parses package.json text the way Node does for resolution: fields of the wrong type are ignored. */
export function parsePackageConfig(text: string, dir: string, jsonPath: string): PackageConfig {
  let data: unknown;
  try {
    data = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    // As Node's package_json_reader does: the SyntaxError itself, with the file named.
    const error = err as SyntaxError & { path?: string };
    error.message = `Error parsing ${jsonPath}: ${error.message}`;
    error.path = jsonPath;
    throw error;
  }
  const config: PackageConfig = { dir };
  if (typeof data !== 'object' || data === null) return config;
  const json = data as Record<string, unknown>;
  if (typeof json.name === 'string') config.name = json.name;
  if (typeof json.main === 'string') config.main = json.main;
  if (typeof json.type === 'string') config.type = json.type;
  if (json.exports !== undefined) config.exports = json.exports;
  if (json.imports !== undefined) config.imports = json.imports;
  return config;
}
