import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { precomputeResolutions } from '../../src/build/resolutions.js';
import { hostTarget } from '../../src/build/target.js';
import { PackedIndex } from '../../src/format/reader.js';
import { encodeResolutions, Resolutions } from '../../src/format/resolutions.js';
import { serializeResources, type WriterEntry } from '../../src/format/writer.js';
import { defaultConditions } from '../../src/resolver/conditions.js';

/** An app on disk: the answers the build precomputes must be the ones Node gives there. */
const files: Record<string, string> = {
  'package.json': JSON.stringify({
    name: 'app',
    exports: { '.': './main.js', './util': './lib/util.js' },
    imports: { '#cfg': './lib/cfg.js' },
  }),
  'main.js': '',
  'lib/util.js': '',
  'lib/cfg.js': '',
  'lib/data.json': '{}',
  'lib/dir/index.js': '',
  'node_modules/cond/package.json': JSON.stringify({
    name: 'cond',
    exports: { '.': { import: './esm.mjs', require: './cjs.js' }, './feature': { node: './node.js', default: './browser.js' } },
  }),
  'node_modules/cond/cjs.js': '',
  'node_modules/cond/esm.mjs': '',
  'node_modules/cond/node.js': '',
  'node_modules/cond/browser.js': '',
  'node_modules/old/package.json': JSON.stringify({ name: 'old', main: 'lib' }),
  'node_modules/old/lib/index.js': '',
  'node_modules/old/node_modules/cond/package.json': JSON.stringify({ name: 'cond', main: 'nested.js' }),
  'node_modules/old/node_modules/cond/nested.js': '',
  'node_modules/real-pkg/index.js': '',
  'esm/main.mjs': '',
  'esm/util.mjs': '',
  'esm/data.json': '{}',
};
const links: Record<string, string> = { 'node_modules/linked': 'real-pkg' };
/** Requests by requiring file; those Node cannot resolve are expected to get no answer. */
const requests: Record<string, string[]> = {
  'main.js': [
    './lib/util',
    './lib/util.js',
    './lib/data',
    './lib/dir',
    'cond',
    'cond/feature',
    'old',
    'linked',
    'app/util',
    '#cfg',
    './missing',
    'cond/missing',
  ],
  'node_modules/old/lib/index.js': ['cond', '../package.json', '../../cond/cjs.js'],
  'lib/util.js': ['../main', './cfg', '..', 'app'],
};

let dir: string;
beforeAll(() => {
  dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'oxpack-resolutions-')));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  for (const [name, target] of Object.entries(links)) symlinkSync(target, path.join(dir, name));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function blobOf(): Buffer {
  return serializeResources(blobEntries(), { oxpack: 'test' });
}

const target = hostTarget();
const conditions = defaultConditions({ requireModule: target.requireModule, packedRequireEsm: target.syncHooks });
const builtins = new Set(target.builtins);
const requireMap = new Map(Object.entries(requests));
/** Imports by importing ES module. */
const imports: Record<string, string[]> = {
  'esm/main.mjs': [
    './util.mjs',
    './util',
    '../main.js',
    '../lib/data.json',
    'cond',
    'cond/feature',
    'linked',
    'app/util',
    '#cfg',
    'node:fs',
    'fs',
    './missing.mjs',
    'old',
  ],
};
const importMap = new Map(Object.entries(imports));

describe('precomputed resolutions', () => {
  test('are exactly what Node resolves on disk, for every request Node can resolve', () => {
    const answers = precomputeResolutions(blobOf(), { requires: requireMap }, conditions, builtins);
    const got = new Map(answers.map((a) => [`${a.parent} ${a.specifier}`, a.target]));
    let resolvable = 0;
    for (const [parent, specifiers] of requireMap) {
      const req = createRequire(path.join(dir, parent));
      for (const specifier of specifiers) {
        let expected: string | undefined;
        try {
          expected = path.relative(dir, req.resolve(specifier)).split(path.sep).join('/');
          resolvable++;
        } catch {
          expected = undefined;
        }
        expect([`${parent} ${specifier}`, got.get(`${parent} ${specifier}`)]).toEqual([`${parent} ${specifier}`, expected]);
      }
    }
    expect(resolvable).toBeGreaterThan(15);
    expect(answers).toHaveLength(resolvable);
  });

  test("for ES modules' imports, are exactly what Node's import.meta.resolve gives on disk", () => {
    const probe = path.join(dir, 'esm', 'probe.mjs');
    writeFileSync(
      probe,
      "for (const s of JSON.parse(process.argv[2])) { let r = ''; try { r = import.meta.resolve(s); } catch {} console.log(r); }\n",
    );
    const specifiers = imports['esm/main.mjs']!;
    const urls = execFileSync(process.execPath, [probe, JSON.stringify(specifiers)], { encoding: 'utf8' })
      .trim()
      .split('\n');
    const answers = precomputeResolutions(blobOf(), { requires: new Map(), imports: importMap }, conditions, builtins);
    const got = new Map(answers.map((a) => [a.specifier, a.target]));
    let files = 0;
    specifiers.forEach((specifier, k) => {
      const url = urls[k]!;
      // import.meta.resolve answers a relative specifier without looking: a missing file fails at load.
      const exists = url.startsWith('file:') && existsSync(fileURLToPath(url));
      const expected = exists ? path.relative(dir, fileURLToPath(url)).split(path.sep).join('/') : undefined;
      if (expected) files++;
      expect([specifier, got.get(specifier)]).toEqual([specifier, expected]);
    });
    expect(files).toBeGreaterThanOrEqual(8);
    expect(answers.every((a) => a.parent === 'esm/main.mjs')).toBe(true);
  });

  test('leave out what depends on the machine: a climb out of the app, a scope above an app without package.json', () => {
    const appless = { ...Object.fromEntries(requireMap), 'tool.js': ['#x', '../outside.js', './main'] };
    const blob = serializeResources(
      [
        { name: 'tool.js', kind: 'commonjs', data: Buffer.from('') },
        { name: 'main.js', kind: 'commonjs', data: Buffer.from('') },
      ],
      { oxpack: 'test' },
    );
    const answers = precomputeResolutions(blob, { requires: new Map(Object.entries(appless)) }, conditions, builtins);
    // "./main" from a file with no package.json above it: Node would look for a package scope (for
    // self-reference) on the real disk beside the executable, so even this answer is left to the runtime.
    expect(answers.filter((a) => a.parent === 'tool.js')).toEqual([]);
  });

  test('follow the conditions they are worked out under (the runtime uses them only under the same)', () => {
    const browser = { ...conditions, require: new Set([...conditions.require].filter((c) => c !== 'node')) };
    const answers = precomputeResolutions(blobOf(), { requires: requireMap }, browser, builtins);
    expect(answers.find((a) => a.specifier === 'cond/feature')?.target).toBe('node_modules/cond/browser.js');
  });
});

describe('the resolutions section', () => {
  test('round-trips through the writer and the reader, decoded per requiring module', () => {
    const answers = precomputeResolutions(blobOf(), { requires: requireMap }, conditions, builtins);
    const index = PackedIndex.from(serializeResources(blobEntries(), { oxpack: 'test' }, { resolutions: answers }), { verify: 'full' });
    const table = index.resolutions!;
    for (const a of answers) expect(index.name(table.lookup(index.find(a.parent), a.specifier)!)).toBe(a.target);
    expect(table.lookup(index.find('main.js'), './missing')).toBeUndefined();
    expect(table.lookup(index.find('lib/cfg.js'), './util')).toBeUndefined();
    expect(PackedIndex.from(blobOf()).resolutions).toBeUndefined();
  });

  test('the writer refuses a resolution naming no entry', () => {
    expect(() =>
      serializeResources(blobEntries(), { oxpack: 'test' }, { resolutions: [{ parent: 'main.js', specifier: 'x', target: 'nope.js' }] }),
    ).toThrow(/"nope.js", which is not an entry/);
  });

  test('records that do not fit or name no file are ignored, never thrown', () => {
    const section = encodeResolutions([
      { parent: 1, specifier: 'ok', target: 5 },
      { parent: 1, specifier: 'dir', target: 2 },
      { parent: 1, specifier: 'far', target: 999 },
      { parent: 3, specifier: 'ünï', target: 5 },
    ]);
    const table = new Resolutions(section, (i) => i < 10 && i !== 2);
    expect(table.lookup(1, 'ok')).toBe(5);
    expect(table.lookup(1, 'dir')).toBeUndefined();
    expect(table.lookup(1, 'far')).toBeUndefined();
    expect(table.lookup(3, 'ünï')).toBe(5);
    expect(table.lookup(2, 'ok')).toBeUndefined();
    // At an address that is not a multiple of 4 (its words are then read from a copy): the same answers.
    const odd = Buffer.alloc(section.length + 1).subarray(1);
    section.copy(odd);
    const oddTable = new Resolutions(odd, (i) => i < 10 && i !== 2);
    expect([oddTable.lookup(1, 'ok'), oddTable.lookup(1, 'dir'), oddTable.lookup(3, 'ünï')]).toEqual([5, undefined, 5]);
    // Truncated: the count no longer fits, so nothing is answered.
    expect(new Resolutions(section.subarray(0, 20), () => true).lookup(1, 'ok')).toBeUndefined();
    // A specifier range past the end is skipped.
    const bad = Buffer.from(section);
    bad.writeUInt32LE(0xffff_fff0, 4 + 2 * 16 + 8); // records are sorted: "dir", "far", "ok"
    expect(new Resolutions(bad, () => true).lookup(1, 'ok')).toBeUndefined();
  });
});

function blobEntries(): WriterEntry[] {
  const entries: WriterEntry[] = Object.keys(files).map((name) => ({
    name,
    kind: name.endsWith('package.json') ? 'package.json' : name.endsWith('.json') ? 'json' : name.endsWith('.mjs') ? 'module' : 'commonjs',
    data: readFileSync(path.join(dir, name)),
  }));
  for (const [name, t] of Object.entries(links)) entries.push({ name, kind: 'symlink', data: Buffer.from(t) });
  return entries;
}
