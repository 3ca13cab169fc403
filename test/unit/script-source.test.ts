/**
 * The text a packed CommonJS module compiles as, at run time and when the build makes its cache, is
 * built from the module's bytes, decoded once inside the wrapper. V8 accepts a cache only for the same
 * text, and stack positions depend on it: it must be the decoded source inside the function wrapper,
 * a hashbang turned into a comment, for every input, including byte order marks, multi-byte and
 * malformed UTF-8.
 */
import { describe, expect, test } from '@jest/globals';
import vm from 'node:vm';
import { PackedIndex } from '../../src/format/reader.js';
import { serializeResources } from '../../src/format/writer.js';
import { CJS_PARAMETERS, SCRIPT_LINE_OFFSET, scriptSourceOf, scriptTextOf } from '../../src/runtime/code-cache.js';
import { prng } from '../support/prng.js';

/** The reference: the wrapper written around the decoded text. */
function scriptSource(source: string): string {
  const body = source.startsWith('#!') ? `//${source.slice(2)}` : source;
  return `(function (${CJS_PARAMETERS.join(', ')}) {\n${body}\n})`;
}

const samples: Uint8Array[] = [
  Buffer.from(''),
  Buffer.from('#!/usr/bin/env node\nmodule.exports = 1;\n'),
  Buffer.from('#!'),
  Buffer.from('#'),
  Buffer.from('\ufeffexports.a = "ü€𝄞";'),
  Buffer.from([0x65, 0x78, 0xe2, 0x82]), // a cut multi-byte sequence at the end
  Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xff, 0x0a]), // malformed sequences
  // Over a megabyte: all ASCII is decoded as latin1 (decodeScriptText); one other character, as UTF-8.
  Buffer.from('x = 1;\n'.repeat(160_000)),
  Buffer.from(`${'x = 1;\n'.repeat(160_000)}y = "é";`),
  Buffer.from(`${'x = 1;\n'.repeat(160_000)}\x80`), // latin1 would read a byte over 127 as a character of its own
];

describe('scriptSourceOf', () => {
  test('equals scriptSource of the decoded text for chosen inputs', () => {
    for (const bytes of samples) expect(scriptSourceOf(bytes)).toBe(scriptSource(Buffer.from(bytes).toString('utf8')));
  });

  test('equals scriptSource of the decoded text for random bytes, and works on a view into a larger buffer', () => {
    const random = prng(7);
    const alphabet = [0x23, 0x21, 0x0a, 0x61, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9d, 0x84, 0x9e, 0xff, 0x80, 0xef, 0xbb, 0xbf];
    for (let k = 0; k < 500; k++) {
      const whole = Buffer.from(
        Array.from({ length: 1 + Math.floor(random() * 40) }, () => alphabet[Math.floor(random() * alphabet.length)]!),
      );
      const start = Math.floor(random() * whole.length);
      const view = whole.subarray(start);
      expect(scriptSourceOf(view)).toBe(scriptSource(view.toString('utf8')));
    }
  });

  test("keeps the file's own lines and columns in stack traces", () => {
    const text = scriptSourceOf(Buffer.from("#!/usr/bin/env node\n\nexports.where = () => new Error('x').stack.split('\\n')[1].trim();\n"));
    const fn = new vm.Script(text, { filename: '/virtual/lib.js', lineOffset: SCRIPT_LINE_OFFSET }).runInThisContext() as (
      e: object,
    ) => void;
    const exports: { where?: () => string } = {};
    fn(exports);
    expect(exports.where!()).toMatch(/ \(\/virtual\/lib\.js:3:23\)$/);
  });

  test('is, byte for byte, the text the build stores a module in (its caches are made of the one)', () => {
    const random = prng(11);
    const alphabet = [0x21, 0x0a, 0x61, 0x28, 0x7b, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xff, 0xef, 0xbb, 0xbf];
    const sources = [...samples.filter((b) => b.length > 0 && !(b[0] === 0x23 && b[1] === 0x21))];
    for (let k = 0; k < 50; k++) {
      sources.push(
        Buffer.from(Array.from({ length: 1 + Math.floor(random() * 60) }, () => alphabet[Math.floor(random() * alphabet.length)]!)),
      );
    }
    const blob = serializeResources(
      sources.map((data, k) => ({ name: `m${k}.js`, kind: 'commonjs' as const, data })),
      { oxpack: 'test', entry: 'm0.js' },
    );
    const index = PackedIndex.from(blob, { verify: 'full' });
    sources.forEach((data, k) => {
      const stored = index.scriptText(index.find(`m${k}.js`));
      expect(stored).toBeDefined();
      expect(Buffer.compare(stored!, scriptTextOf(data))).toBe(0);
    });
  });
});
