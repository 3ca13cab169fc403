/**
 * Programs at packed paths. A package may ship a native executable and run it (esbuild's JS API runs
 * its platform binary, @esbuild/<platform>/bin/esbuild, found with require.resolve): the kernel cannot
 * execute a file inside the executable, so a packed path given as the program to child_process's
 * spawn, spawnSync, execFile or execFileSync becomes a real file, the one beside the executable for a
 * filesystem-relative entry, else a copy in the addon cache (addon-cache.ts, which keeps the packed
 * layout and checks the copy's bytes before each use). Only files packed with their executable bit
 * are swapped: anything else is left to fail as it does (ENOTDIR: the executable is not a folder).
 * The arguments, including paths in them, are the app's business and stay as they are; so do commands
 * run through a shell (exec, execSync, `shell: true`), whose program is the shell.
 */
import type childProcessModule from 'node:child_process';
import { builtin, syncBuiltinESMExports } from '../builtins.js';
import { Kind } from '../format/layout.js';
import { AddonCache } from './addon-cache.js';
import { debugLog } from './debug.js';
import type { FinderCore } from './finder.js';

type ProgramFunction = (file: unknown, ...rest: unknown[]) => unknown;

const PATCHED = ['spawn', 'spawnSync', 'execFile', 'execFileSync'] as const;
/** util.promisify.custom, without loading node:util. */
const PROMISIFY_CUSTOM = Symbol.for('nodejs.util.promisify.custom');

export function installSpawnHooks(finder: FinderCore): () => void {
  // Loaded here, not at start-up: this runs only for apps that get child_process (install.ts).
  const childProcess = builtin<typeof childProcessModule>('node:child_process') as unknown as Record<string, ProgramFunction>;
  const log = debugLog('addons');
  let cache: AddonCache | undefined;

  /** The real file to run for `file`, when it names a packed executable. */
  const programFor = (file: unknown): string | undefined => {
    if (typeof file !== 'string') return undefined; // child_process takes the program as a string only
    const found = finder.lookupPath(file);
    if (!found?.ok || finder.index.kind(found.index) === Kind.directory || !finder.index.isExecutable(found.index)) return undefined;
    const real = finder.diskPath(found.index) ?? (cache ??= new AddonCache(finder, { debug: log })).fileFor(found.index);
    log?.(`runs ${file} as ${real}`);
    return real;
  };

  const originals = new Map<string, ProgramFunction>();
  for (const name of PATCHED) {
    const original = childProcess[name]!;
    originals.set(name, original);
    const patched = function (this: unknown, file: unknown, ...rest: unknown[]) {
      return original.call(this, programFor(file) ?? file, ...rest);
    };
    // util.promisify(execFile) resolves with { stdout, stderr } through Node's own version of it,
    // which calls the original: the program is swapped there too.
    const custom = (original as unknown as Record<symbol, ProgramFunction | undefined>)[PROMISIFY_CUSTOM];
    if (typeof custom === 'function') {
      Object.defineProperty(patched, PROMISIFY_CUSTOM, {
        configurable: true,
        value: function (this: unknown, file: unknown, ...rest: unknown[]) {
          return custom.call(this, programFor(file) ?? file, ...rest);
        },
      });
    }
    childProcess[name] = patched;
  }
  syncBuiltinESMExports(); // for `import { spawn } from 'node:child_process'`
  return () => {
    for (const [name, original] of originals) childProcess[name] = original;
    syncBuiltinESMExports();
  };
}
