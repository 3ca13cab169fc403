/**
 * Patches of built-in modules applied just before app code first gets the module, so that an app that
 * never uses fs/promises, worker_threads, child_process or node:module's register() does not pay for
 * loading and patching them at every start (about 1.5 ms each), and an app that names them in a way no
 * build could see (fs['prom' + 'ises'], require(name)) still gets them patched. The ways in:
 * - require() with or without "node:" (Module._load, which every require and createRequire() call),
 *   and process.getBuiltinModule();
 * - the ES module loader: its resolve hook where it runs in this thread (module.registerHooks), or
 *   the start of the hooks thread (module.register), after which any import may name the module;
 * - getters the caller adds (fs.promises) with watchGetter().
 */
import { cjsModule } from '../builtins.js';

type Patch = () => void;

interface ModuleLoad {
  _load(request: string, parent: unknown, isMain: boolean): unknown;
}

/**
 * Node 22+ warns that punycode is deprecated (DEP0040) when it is required from outside node_modules,
 * judging by the first of the ten innermost stack frames that is not Node's own: the frame of the
 * _load wrapper above pushes a requiring dependency's frame (whatwg-url, under node-fetch 2) out of
 * those ten, and every start printed the warning. The requiring module decides here, as it does under
 * node: from a dependency, the warning is not shown.
 */
function loadPunycode(self: unknown, load: ModuleLoad['_load'], args: [string, unknown, boolean]): unknown {
  const parent = (args[1] as { filename?: unknown } | null | undefined)?.filename;
  if (typeof parent !== 'string' || !/[\\/]node_modules[\\/]/.test(parent)) return load.apply(self, args);
  const emit = process.emitWarning;
  process.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]): void {
    const code = typeof rest[1] === 'string' ? rest[1] : (rest[0] as { code?: unknown } | undefined)?.code;
    if (code === 'DEP0040') return;
    return (emit as (...a: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    return load.apply(self, args);
  } finally {
    process.emitWarning = emit;
  }
}

export class BuiltinTriggers {
  /** Patches by built-in id (without "node:"), removed as they run. */
  private readonly pending = new Map<string, Patch>();
  private readonly undo: (() => void)[] = [];

  constructor() {
    const M = cjsModule as unknown as ModuleLoad;
    const original = M._load;
    const pending = this.pending;
    const fire = (id: string): void => this.fire(id);
    M._load = function (this: unknown, ...args: [string, unknown, boolean]) {
      const request = args[0];
      if (pending.size > 0 && typeof request === 'string') fire(request);
      if (request === 'punycode' || request === 'node:punycode') return loadPunycode(this, original, args);
      return original.apply(this, args);
    };
    this.undo.push(() => {
      M._load = original;
    });
    // process.getBuiltinModule (20.16+) reaches built-ins without Module._load.
    const proc = process as unknown as { getBuiltinModule?: (id: string) => unknown };
    const getBuiltin = proc.getBuiltinModule;
    if (typeof getBuiltin === 'function') {
      proc.getBuiltinModule = function (this: unknown, id: string) {
        if (pending.size > 0 && typeof id === 'string') fire(id);
        return getBuiltin.call(this, id);
      };
      this.undo.push(() => {
        proc.getBuiltinModule = getBuiltin;
      });
    }
  }

  /** Runs `patch` before the first load of any of `ids` (built-in ids without "node:"). */
  on(ids: readonly string[], patch: Patch): void {
    let done = false;
    const once = (): void => {
      if (done) return;
      done = true; // first: patching may load the module, which passes through here again
      for (const id of ids) this.pending.delete(id);
      patch();
    };
    for (const id of ids) this.pending.set(id, once);
  }

  /** Runs the patch waiting for `id`, if any (an import specifier, with or without "node:"). */
  fire(id: string): void {
    this.pending.get(id.startsWith('node:') ? id.slice(5) : id)?.();
  }

  /** Runs every waiting patch: from now on any module may be imported where this thread cannot see it. */
  fireAll(): void {
    for (const patch of [...this.pending.values()]) patch();
  }

  /**
   * Makes reading `object[key]` (an accessor property, such as fs.promises) run the patch waiting for
   * `id` first; the original accessor is put back once it has.
   */
  watchGetter(object: object, key: string, id: string): void {
    const descriptor = Object.getOwnPropertyDescriptor(object, key);
    if (!descriptor?.get || !descriptor.configurable) return;
    const restore = (): void => {
      Object.defineProperty(object, key, descriptor);
    };
    const fire = (): void => this.fire(id);
    Object.defineProperty(object, key, {
      configurable: true,
      enumerable: descriptor.enumerable ?? true,
      get(this: unknown) {
        restore();
        fire();
        return descriptor.get!.call(this);
      },
    });
    const patch = this.pending.get(id);
    if (patch) {
      // Whichever way in comes first, the accessor is restored.
      this.pending.set(id, () => {
        restore();
        patch();
      });
    }
    this.undo.push(restore);
  }

  uninstall(): void {
    this.pending.clear();
    for (const u of this.undo.reverse()) u();
    this.undo.length = 0;
  }
}
