/**
 * Built-in modules loaded on first use instead of at start-up: a packed executable pays for loading
 * zlib or readline only when it decompresses an entry or reads lines.
 *
 * node:module too. `require('node:module')` returns Node's CommonJS Module class once lib/module.js
 * has attached the rest of the public API to it (register, registerHooks, enableCompileCache,
 * constants, ...): loading that file cost every start about 0.17 ms (on Node 20 it loads the ES module
 * loader and source maps with it), for an API the runtime needs only when packed code first uses ES
 * modules. So the runtime takes the class as `cjsModule`, and the rest from publicModule() when used.
 * In the runtime bundle, `cjsModule` comes from the bundle's own module object, an instance of the
 * class (scripts/build.mjs, which keeps this the bundle's only import of node:module); elsewhere it is
 * the public module, the very same object.
 */
import NodeModule from 'node:module';

/** What Node's CommonJS loader itself puts on the Module class (the runtime's internals cast further). */
export type CjsModuleClass = Pick<typeof NodeModule, 'builtinModules' | 'isBuiltin' | 'createRequire' | 'syncBuiltinESMExports'>;

export const cjsModule: CjsModuleClass = NodeModule;

/** The whole public node:module API, loaded on first call. */
export function publicModule(): typeof NodeModule {
  return builtin<typeof NodeModule>('node:module');
}

/** Whether Node `version` has module.registerHooks (22.15+, 23.5+), known without loading node:module. */
export function hasRegisterHooks(version: string = process.version): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 5) || (major === 22 && minor >= 15);
}

/**
 * Whether Node's ES module translators have loaded: the part of its ES module loader that makes
 * built-ins' ES module facades and reads CommonJS sources for import. True when Node does not say.
 */
export function esmTranslatorsLoaded(): boolean {
  return (process as { moduleLoadList?: string[] }).moduleLoadList?.includes('NativeModule internal/modules/esm/translators') ?? true;
}

/**
 * Brings the ES module facades of built-ins up to date with their patched exports. A facade copies the
 * exports when the translators create it and changes only through cjsModule.syncBuiltinESMExports(),
 * which walks every built-in (about 0.1 ms). Before the translators have loaded, no facade exists,
 * and a start has nothing to update.
 */
export function syncBuiltinESMExports(): void {
  if (esmTranslatorsLoaded()) cjsModule.syncBuiltinESMExports();
}

let requireBuiltin: NodeJS.Require | undefined;

/**
 * Built-in `name`: through process.getBuiltinModule (20.16+) where there is one, else a require made
 * with createRequire() on first use (making it costs about 0.15 ms, which every start paid when it
 * was made at load).
 */
export function builtin<T>(name: `node:${string}`): T {
  const getBuiltinModule = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  if (typeof getBuiltinModule === 'function') return getBuiltinModule(name) as T;
  requireBuiltin ??= cjsModule.createRequire('/');
  return requireBuiltin(name) as T;
}
