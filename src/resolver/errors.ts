/**
 * Errors shaped as Node's own resolution errors (code, message, stack header "Error [CODE]: ..."),
 * so a packed app that inspects err.code or err.message sees what it would see under node.
 */
export type NodeError = Error & { code: string; [key: string]: unknown };

export function nodeError(code: string, message: string, Base: ErrorConstructor | TypeErrorConstructor = Error): NodeError {
  const err = new Base(message) as NodeError;
  // Node's internal errors print as "Error [CODE]: message" and keep name "Error".
  Object.defineProperty(err, 'name', { value: `${Base.name} [${code}]`, configurable: true, writable: true });
  void err.stack; // materialize the stack with the decorated name
  delete (err as { name?: string }).name;
  Object.defineProperty(err, 'code', { value: code, enumerable: true, configurable: true, writable: true });
  return err;
}

/** CommonJS's MODULE_NOT_FOUND, as Module._resolveFilename throws it. */
export function moduleNotFound(request: string, requireStack: string[] = []): NodeError {
  let message = `Cannot find module '${request}'`;
  if (requireStack.length > 0) message += `\nRequire stack:\n- ${requireStack.join('\n- ')}`;
  const err = new Error(message) as NodeError;
  err.code = 'MODULE_NOT_FOUND';
  err.requireStack = requireStack;
  return err;
}

export function esmModuleNotFound(path: string, base: string | undefined, exactUrl?: string): NodeError {
  const err = nodeError('ERR_MODULE_NOT_FOUND', `Cannot find ${exactUrl ? 'module' : 'package'} '${path}' imported from ${base}`);
  if (exactUrl) err.url = exactUrl;
  return err;
}

export function invalidModuleSpecifier(request: string, reason: string, base?: string): NodeError {
  return nodeError(
    'ERR_INVALID_MODULE_SPECIFIER',
    `Invalid module "${request}" ${reason}${base ? ` imported from ${base}` : ''}`,
    TypeError,
  );
}

export function invalidPackageConfig(path: string, base: string | undefined, message: string): NodeError {
  return nodeError('ERR_INVALID_PACKAGE_CONFIG', `Invalid package config ${path}${base ? ` while importing ${base}` : ''}. ${message}`);
}

/** `pkgPath` ends with a separator, as Node's messages put it. */
export function invalidPackageTarget(pkgPath: string, key: string, target: unknown, isImport: boolean, base?: string): NodeError {
  const relError = typeof target === 'string' && !isImport && target.length > 0 && !target.startsWith('./');
  const where = `${pkgPath}package.json${base ? ` imported from ${base}` : ''}${relError ? '; targets must start with "./"' : ''}`;
  const message =
    key === '.'
      ? `Invalid "exports" main target ${JSON.stringify(target)} defined in the package config ${where}`
      : `Invalid "${isImport ? 'imports' : 'exports'}" target ${JSON.stringify(target)} defined for '${key}' in the package config ${where}`;
  return nodeError('ERR_INVALID_PACKAGE_TARGET', message);
}

export function packagePathNotExported(pkgPath: string, subpath: string, base?: string): NodeError {
  const from = base ? ` imported from ${base}` : '';
  return nodeError(
    'ERR_PACKAGE_PATH_NOT_EXPORTED',
    subpath === '.'
      ? `No "exports" main defined in ${pkgPath}package.json${from}`
      : `Package subpath '${subpath}' is not defined by "exports" in ${pkgPath}package.json${from}`,
  );
}

export function packageImportNotDefined(specifier: string, pkgPath: string | undefined, base: string): NodeError {
  return nodeError(
    'ERR_PACKAGE_IMPORT_NOT_DEFINED',
    `Package import specifier "${specifier}" is not defined${pkgPath ? ` in package ${pkgPath}package.json` : ''} imported from ${base}`,
    TypeError,
  );
}

export function unsupportedDirImport(path: string, base: string | undefined, url: string): NodeError {
  const err = nodeError(
    'ERR_UNSUPPORTED_DIR_IMPORT',
    `Directory import '${path}' is not supported resolving ES modules imported from ${base}`,
  );
  err.url = url;
  return err;
}
