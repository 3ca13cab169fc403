// Run by the target Node at build time: `node code-cache.cjs <folder>`. The folder holds sources.bin
// (the CommonJS sources, back to back) and sources.json ([length, ...]); this writes caches.bin and
// caches.json ([length or 0, ...]): for each source, the V8 code cache of the function Node's CommonJS
// loader compiles (the same parameters, so the runtime can compile with it and V8 accepts it).
// Only compiled, never run: the app's code does not execute at build time.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { compileFunction } from 'node:vm';
import { CJS_PARAMETERS } from '../src/runtime/code-cache.js';

const folder = process.argv[2]!;
const sources = readFileSync(path.join(folder, 'sources.bin'));
const lengths = JSON.parse(readFileSync(path.join(folder, 'sources.json'), 'utf8')) as number[];
const caches: Buffer[] = [];
const out: number[] = [];
let offset = 0;
for (const length of lengths) {
  const source = sources.toString('utf8', offset, offset + length);
  offset += length;
  let cache: Buffer | undefined;
  try {
    const fn = compileFunction(source, [...CJS_PARAMETERS], { produceCachedData: true }) as { cachedData?: Buffer };
    cache = fn.cachedData;
  } catch {
    // A syntax error: the module fails at run time as it does under node, without a cache.
  }
  caches.push(cache ?? Buffer.alloc(0));
  out.push(cache?.length ?? 0);
}
writeFileSync(path.join(folder, 'caches.bin'), Buffer.concat(caches));
writeFileSync(path.join(folder, 'caches.json'), JSON.stringify(out));
