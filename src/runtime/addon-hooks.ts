/**
 * Native addons at packed paths. Node's '.node' loader (and code that calls it directly) ends in
 * process.dlopen(module, filename): a packed filename is swapped for a real file there, the one beside
 * the executable for a filesystem-relative addon, else the copy in the addon cache (addon-cache.ts).
 * module.filename stays the virtual path, as the app expects.
 */
import { Kind } from '../format/layout.js';
import { AddonCache } from './addon-cache.js';
import { debugLog } from './debug.js';
import type { FinderCore } from './finder.js';
import { fsError } from './fs-errors.js';

type Dlopen = (module: object, filename: string, flags?: number) => void;

export function installAddonHooks(finder: FinderCore): () => void {
  const original = process.dlopen as Dlopen;
  let cache: AddonCache | undefined;

  const dlopen: Dlopen = function (this: unknown, module, filename, ...rest) {
    const found = typeof filename === 'string' ? finder.lookupPath(filename) : undefined;
    if (found === undefined) return original.call(this, module, filename, ...rest);
    if (!found.ok) throw fsError(found.code, 'dlopen', filename);
    if (finder.index.kind(found.index) === Kind.directory) throw fsError('EISDIR', 'dlopen', filename);
    const onDisk = finder.diskPath(found.index);
    const file = onDisk ?? (cache ??= new AddonCache(finder, { debug: debugLog('addons') })).pathFor(found.index);
    return original.call(this, module, file, ...rest);
  };
  process.dlopen = dlopen as typeof process.dlopen;
  return () => {
    process.dlopen = original as typeof process.dlopen;
  };
}
