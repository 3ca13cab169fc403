#!/usr/bin/env node
// Assembles src/format/murmur3.wat into the bytes src/format/murmur3-wasm.ts carries (base64), and
// rewrites that constant. A unit test (test/unit/checksum.test.ts) fails when the two disagree.
//
//   node scripts/assemble-wasm.mjs [--check]
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import initWabt from 'wabt';

const root = fileURLToPath(new URL('..', import.meta.url));
const wat = path.join(root, 'src', 'format', 'murmur3.wat');
const target = path.join(root, 'src', 'format', 'murmur3-wasm.ts');

export async function assembleMurmur3() {
  const wabt = await initWabt();
  const module = wabt.parseWat(path.basename(wat), readFileSync(wat, 'utf8'));
  try {
    return Buffer.from(module.toBinary({}).buffer).toString('base64');
  } finally {
    module.destroy();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const bytes = await assembleMurmur3();
  const text = readFileSync(target, 'utf8');
  const constant = /const WASM_BASE64 =\s*'([^']*)';/;
  if (process.argv.includes('--check')) {
    if (constant.exec(text)?.[1] !== bytes) {
      process.stderr.write(`${path.relative(root, target)} is out of date: run node scripts/assemble-wasm.mjs\n`);
      process.exit(1);
    }
  } else {
    // (npm run format then lays the line out as prettier does)
    writeFileSync(target, text.replace(constant, `const WASM_BASE64 = '${bytes}';`));
  }
}
