// Run by the target Node at build time: `node code-cache.cjs <folder>`. The folder holds sources.bin
// (the CommonJS sources, back to back) and sources.json ([length, ...]); this writes caches.bin and
// caches.json ([length or 0, ...]): for each source, the V8 code cache of the script the runtime
// compiles it as (src/runtime/code-cache.ts scriptSourceOf, the same text and line offset, so that V8
// accepts it there). The runtime starts from these until it has made caches of its own.
// Only compiled, never run: the app's code does not execute at build time.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Script } from 'node:vm';
import { SCRIPT_LINE_OFFSET, scriptSourceOf } from '../src/runtime/code-cache.js';

const folder = process.argv[2]!;
const sources = readFileSync(path.join(folder, 'sources.bin'));
const lengths = JSON.parse(readFileSync(path.join(folder, 'sources.json'), 'utf8')) as number[];
const caches: Buffer[] = [];
const out: number[] = [];
let offset = 0;
for (const length of lengths) {
  const source = sources.subarray(offset, offset + length);
  offset += length;
  let cache: Buffer | undefined;
  try {
    cache = new Script(scriptSourceOf(source), { lineOffset: SCRIPT_LINE_OFFSET }).createCachedData();
  } catch {
    // A syntax error: the module fails at run time as it does under node, without a cache.
  }
  caches.push(cache ?? Buffer.alloc(0));
  out.push(cache?.length ?? 0);
}
writeFileSync(path.join(folder, 'caches.bin'), Buffer.concat(caches));
writeFileSync(path.join(folder, 'caches.json'), JSON.stringify(out));
