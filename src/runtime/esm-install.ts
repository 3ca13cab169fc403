/**
 * Installs the ES module hooks. Node 22.15+ has module.registerHooks: synchronous hooks in this thread,
 * which also cover require(esm). Older lines only have module.register(): the hooks run in a thread of
 * their own, which indexes the same resources (from the SEA asset, the resources file, or a copy of the
 * bytes) and answers from there.
 */
import { esmTranslatorsLoaded, hasRegisterHooks, publicModule, syncBuiltinESMExports } from '../builtins.js';
import vm from 'node:vm';
import type { RuntimeFinder } from './finder.js';
import { debugLog, sinceStart } from './debug.js';
import { enableEsmCompileCache } from './code-cache.js';
import { createEsmHooks } from './esm-hooks.js';
import type { FinderHost } from './host.js';
import type { BuiltinTriggers } from './builtin-triggers.js';

interface ModuleHooksApi {
  registerHooks?: (hooks: object) => { deregister(): void };
  register?: (specifier: string, options: { data: unknown; transferList?: unknown[] }) => void;
}

/** What the hooks thread needs to rebuild the finder on its side. */
export interface HooksThreadData {
  source: NonNullable<RuntimeFinder['source']>;
  root: string;
  origin: string;
  external: string[];
  commonjsWithoutSource: boolean;
}

/** The installed ES module hooks: `ensure()` before packed ES code runs; `uninstall()` removes what it can. */
export interface EsmHooksHandle {
  ensure(): void;
  uninstall(): void;
  /**
   * Set where the hooks are started on demand (a module.register() thread): CommonJS code whose only
   * import() calls are its own import() expressions is compiled with the option this returns, and the
   * hooks start at its first import() call rather than when it loads (see deferUntilFirstImport).
   */
  deferredImport?: () => symbol;
  /**
   * Run before the app's own module.register(): the hooks thread that starts resolves and loads the
   * app's hooks, which are often packed modules themselves (Sentry's, import-in-the-middle's), with
   * Node's default loader, unless this runtime's hooks are in that thread first.
   */
  beforeAppRegister(): void;
}

/**
 * @param triggers built-in patches waiting for their module's first use: an import of it runs them.
 */
export function installEsmHooks(finder: RuntimeFinder, host: FinderHost, triggers?: BuiltinTriggers): EsmHooksHandle {
  // node:module's API is loaded with the hooks, not at start (builtins.ts).
  const api = (): ModuleHooksApi => publicModule() as unknown as ModuleHooksApi;
  const external = new Set((finder.meta.external as string[] | undefined) ?? []);
  if (hasRegisterHooks()) {
    // In-thread hooks cost next to nothing to install, but once they are, every require() passes
    // through them too (Node turns each into a URL and back): about 8 ms of ESLint's start on Node 24.
    // So they are installed when packed code first needs the ES module loader, as the hooks thread of
    // older lines is started.
    let handle: { deregister(): void } | undefined;
    // Once the app has registered hooks of its own with module.register() (an APM agent's, which wrap
    // ES modules), imports go on to the hooks thread, as they do under node, where this runtime's
    // hooks sit below the app's and answer for packed files; require() stays here.
    let toThread = false;
    const forImport = (context: { conditions?: readonly string[] }): boolean =>
      !(context.conditions?.includes('require') && !context.conditions.includes('import'));
    const ensure = (): void => {
      if (handle) return;
      enableEsmCompileCache(finder, debugLog('cache'));
      const hooks = createEsmHooks(finder, host, { external });
      const resolve: typeof hooks.resolve = (specifier, context, next) => {
        triggers?.fire(specifier);
        if (toThread && forImport(context)) return next(specifier, context);
        return hooks.resolve(specifier, context, next);
      };
      const load: typeof hooks.load = (url, context, next) =>
        toThread && forImport(context) ? next(url, context) : hooks.load(url, context, next);
      handle = api().registerHooks!({ resolve, load });
      debugLog('timing')?.(`ES module hooks registered at ${sinceStart().toFixed(1)} ms`);
      const log = debugLog('resolve');
      if (log) {
        process.once('exit', () =>
          log(`${hooks.stats.answered} packed imports answered by the build, ${hooks.stats.resolved} resolved at run time`),
        );
      }
    };
    const deferredImport = DEFAULT_LOADER_WARNS ? deferUntilFirstImport(ensure) : undefined;
    // The app's hooks thread gets this runtime's thread hooks first, below the app's.
    let threadStarted = false;
    const beforeAppRegister = (): void => {
      if (threadStarted) return;
      threadStarted = true;
      toThread = startHooksThread(finder, api, external);
      if (toThread) serveOtherHooks(api);
    };
    return { ensure, uninstall: () => handle?.deregister(), beforeAppRegister, ...(deferredImport ? { deferredImport } : {}) };
  }
  if (!finder.source) return { ensure: () => undefined, uninstall: () => undefined, beforeAppRegister: () => undefined };
  // A hooks thread costs tens of milliseconds and megabytes of memory on every start, so it is started
  // only when packed code first needs the ES module loader: an ES module, or code that calls import().
  let registered = false;
  const ensure = (): void => {
    if (registered) return;
    registered = true;
    enableEsmCompileCache(finder, debugLog('cache'));
    // The hooks thread resolves imports where this thread cannot see them: patch every built-in now.
    triggers?.fireAll();
    startHooksThread(finder, api, external);
  };
  let servingOtherHooks = false;
  const beforeAppRegister = (): void => {
    ensure();
    if (servingOtherHooks) return;
    servingOtherHooks = true;
    serveOtherHooks(api);
  };
  // Hooks registered with module.register() cannot be removed.
  const deferredImport = deferUntilFirstImport(ensure);
  return { ensure, uninstall: () => undefined, beforeAppRegister, ...(deferredImport ? { deferredImport } : {}) };
}

/**
 * Set by the hooks thread (templates/esm-hooks-thread.ts): makes packed files readable and requirable
 * with that thread's fs and CommonJS loader, for the app's own hooks there. Called only when the app
 * registers hooks, by a one-line module registered after this runtime's.
 */
export const SERVE_OTHER_HOOKS = 'oxpack.esm-hooks-thread.serve-other-hooks';

/**
 * node:module's own register(), once patchModuleRegister has wrapped it: this runtime's registrations
 * are not the app's, and must not run what the wrapper runs before the app's.
 */
let unwrappedRegister: ModuleHooksApi['register'];

function register(api: () => ModuleHooksApi, url: string, options: { data: unknown }): void {
  const moduleApi = api();
  (unwrappedRegister ?? moduleApi.register)?.call(moduleApi, url, options);
}

/** Asks the hooks thread to serve packed files to the app's hooks (SERVE_OTHER_HOOKS). */
function serveOtherHooks(api: () => ModuleHooksApi): void {
  const code = `globalThis[Symbol.for(${JSON.stringify(SERVE_OTHER_HOOKS)})]?.();`;
  register(api, `data:text/javascript,${encodeURIComponent(code)}`, { data: undefined });
}

/** Registers this runtime's hooks in Node's module.register() thread (starting it, if it is not yet). */
function startHooksThread(finder: RuntimeFinder, api: () => ModuleHooksApi, external: ReadonlySet<string>): boolean {
  const url = finder.esmHooksUrl; // built on first use (runtime/main.ts)
  const moduleApi = api();
  if (!url || !finder.source || typeof moduleApi.register !== 'function') return false;
  // While Node's ESM translator has not been loaded yet, it will read CommonJS sources (and detect
  // their named exports and re-exports) with the fs the overlay patched: let it, so that CommonJS
  // imported from ESM is loaded by the CommonJS loader with the usual require semantics.
  const data: HooksThreadData = {
    source: finder.source,
    root: finder.root.path,
    origin: finder.origin,
    external: [...external],
    commonjsWithoutSource: !esmTranslatorsLoaded(),
  };
  const started = sinceStart();
  register(api, url, { data });
  debugLog('timing')?.(`ES module hooks thread started in ${(sinceStart() - started).toFixed(1)} ms`);
  return true;
}

/**
 * Wraps node:module's register() so that `before` runs ahead of the app's first call. Patched when the
 * app first gets node:module (builtin-triggers.ts), however it names it.
 */
export function patchModuleRegister(before: () => void): () => void {
  const moduleApi = publicModule() as unknown as ModuleHooksApi;
  const original = moduleApi.register;
  if (typeof original !== 'function') return () => undefined;
  unwrappedRegister = original;
  moduleApi.register = function (this: unknown, ...args: Parameters<typeof original>) {
    before();
    return original.apply(this, args);
  };
  syncBuiltinESMExports(); // for `import { register } from 'node:module'`
  return () => {
    moduleApi.register = original;
    unwrappedRegister = undefined;
    syncBuiltinESMExports();
  };
}

/**
 * The lines on which vm's USE_MAIN_CONTEXT_DEFAULT_LOADER is known to announce its first use with an
 * ExperimentalWarning (20 to 26, checked): a later line may drop the warning with the experiment,
 * and then code that calls import() starts the hooks when it loads instead.
 */
const DEFAULT_LOADER_WARNS = Number.parseInt(process.versions.node, 10) <= 26;

/**
 * Many CommonJS packages hold an import() they seldom reach (ESLint loads config files with it), and
 * starting the hooks thread when such a module loads costs 25-35 ms of every start. Compiled with
 * vm's USE_MAIN_CONTEXT_DEFAULT_LOADER, their import() calls reach the same loader as Node's own
 * CommonJS loader would send them to, relative to the module's file; Node announces the first such
 * call with an ExperimentalWarning, emitted synchronously before it resolves anything. That moment
 * starts the hooks, and the warning, which is about oxpack's choice and not the app's, is not shown.
 * Returns what gives the option to compile with (watching for that warning from the first time it is
 * asked for), or undefined where this line's vm lacks it.
 */
function deferUntilFirstImport(ensure: () => void): (() => symbol) | undefined {
  const loader = (vm.constants as unknown as { USE_MAIN_CONTEXT_DEFAULT_LOADER?: symbol } | undefined)?.USE_MAIN_CONTEXT_DEFAULT_LOADER;
  if (typeof loader !== 'symbol') return undefined;
  let armed = false;
  let original = process.emitWarning;
  const watcher = function (this: unknown, warning: string | Error, ...rest: unknown[]): void {
    const text = typeof warning === 'string' ? warning : warning?.message;
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    if (type === 'ExperimentalWarning' && typeof text === 'string' && text.startsWith('vm.USE_MAIN_CONTEXT_DEFAULT_LOADER')) {
      if (process.emitWarning === watcher) process.emitWarning = original;
      ensure();
      return;
    }
    return (original as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
  return () => {
    if (!armed) {
      armed = true;
      original = process.emitWarning; // whatever it is by now, the app's own wrapper included
      process.emitWarning = watcher;
    }
    return loader;
  };
}
