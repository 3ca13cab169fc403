/**
 * Differential tests: every (importer, specifier) pair is resolved by oxpack's resolver and by the
 * host Node itself (require.resolve / import.meta.resolve in a child process), and the answers must be
 * identical: the same file, or the same error code and message.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DiskHost } from '../../src/build/disk-host.js';
import { CjsResolver } from '../../src/resolver/cjs.js';
import { defaultConditions } from '../../src/resolver/conditions.js';
import { moduleNotFound } from '../../src/resolver/errors.js';
import { EsmResolver } from '../../src/resolver/esm.js';
import { lookupPaths } from '../../src/resolver/lookup-paths.js';
import { cleanEnv } from '../support/harness.js';

let root: string;

const files: Record<string, string | object> = {
  'package.json': {
    name: 'app',
    exports: { '.': './index.js', './feature': './src/feature.js' },
    imports: {
      '#dep': 'dep-a',
      '#int/*': './src/int/*.js',
      '#cond': { node: { import: './src/int/esm.mjs' }, default: './src/int/a.js' },
      '#bare-sub/*': 'dep-b/sub/*',
    },
  },
  'index.js': '',
  'src/a.js': '',
  'src/feature.js': '',
  'src/int/a.js': '',
  'src/int/esm.mjs': '',
  'data.json': '{}',
  'dir/index.js': '',
  'dir2/index.json': '{}',
  'node_modules/dep-a/package.json': { name: 'dep-a', main: 'lib/main' },
  'node_modules/dep-a/lib/main.js': '',
  'node_modules/dep-b/package.json': {
    name: 'dep-b',
    exports: {
      '.': { import: './esm.mjs', require: './cjs.js' },
      './sub/*': './lib/*.js',
      './sub/private/*': null,
      './sub/*.txt': './text/*.txt',
      './arr': ['./missing.js', './cjs.js'],
      './arr-invalid': ['../x.js', './cjs.js'],
      './nested': { node: { import: './esm.mjs' }, default: './cjs.js' },
      './sync': { 'module-sync': './sync.js', default: './cjs.js' },
      './bad': '../outside.js',
      './bad-nm': './node_modules/x.js',
      './pkg': './package.json',
      './gone': './gone.js',
      './nulls': [null],
      './numeric': { '0': './cjs.js' },
    },
  },
  'node_modules/dep-b/cjs.js': '',
  'node_modules/dep-b/esm.mjs': '',
  'node_modules/dep-b/sync.js': '',
  'node_modules/dep-b/lib/x.js': '',
  'node_modules/dep-b/lib/deep/y.js': '',
  'node_modules/dep-b/text/t.txt': '',
  'node_modules/dep-c/package.json': { main: 'nope.js' },
  'node_modules/dep-c/index.js': '',
  'node_modules/dep-d/package.json': { main: './dir' },
  'node_modules/dep-d/dir/index.js': '',
  'node_modules/dep-e/index.js': '',
  'node_modules/dep-f/package.json': { exports: './only.js' },
  'node_modules/dep-f/only.js': '',
  'node_modules/dep-f/other.js': '',
  'node_modules/@scope/pkg/package.json': { name: '@scope/pkg', exports: { './*': './src/*' } },
  'node_modules/@scope/pkg/src/x.js': '',
  'node_modules/dep-g/package.json': { main: 'missing.js' },
  'node_modules/mixed/package.json': { exports: { '.': './a.js', import: './b.js' } },
  'node_modules/mixed/a.js': '',
  'node_modules/nested/package.json': { name: 'nested' },
  'node_modules/nested/index.js': '',
  'node_modules/nested/node_modules/dep-a/index.js': '',
  'node_modules/json-main/package.json': { main: 'data.json' },
  'node_modules/json-main/data.json': '{}',
  'node_modules/broken/package.json': '{ not json',
  'node_modules/broken/index.js': '',
};

const cjsCases: [string, string][] = [
  ['index.js', './src/a'],
  ['index.js', './src/a.js'],
  ['index.js', './data'],
  ['index.js', './data.json'],
  ['index.js', './dir'],
  ['index.js', './dir/'],
  ['index.js', './dir2'],
  ['index.js', '.'],
  ['index.js', './'],
  ['src/a.js', '..'],
  ['src/a.js', '../data'],
  ['index.js', './missing'],
  ['index.js', 'dep-a'],
  ['index.js', 'dep-a/lib/main'],
  ['index.js', 'dep-a/package.json'],
  ['index.js', 'dep-b'],
  ['index.js', 'dep-b/sub/x'],
  ['index.js', 'dep-b/sub/deep/y'],
  ['index.js', 'dep-b/sub/private/y'],
  ['index.js', 'dep-b/sub/t.txt'],
  ['index.js', 'dep-b/arr'],
  ['index.js', 'dep-b/arr-invalid'],
  ['index.js', 'dep-b/nested'],
  ['index.js', 'dep-b/sync'],
  ['index.js', 'dep-b/bad'],
  ['index.js', 'dep-b/bad-nm'],
  ['index.js', 'dep-b/missing'],
  ['index.js', 'dep-b/package.json'],
  ['index.js', 'dep-b/pkg'],
  ['index.js', 'dep-b/gone'],
  ['index.js', 'dep-b/nulls'],
  ['index.js', 'dep-b/numeric'],
  ['index.js', 'dep-b/sub/../cjs'],
  ['index.js', 'dep-c'],
  ['index.js', 'dep-d'],
  ['index.js', 'dep-e'],
  ['index.js', 'dep-f'],
  ['index.js', 'dep-f/other.js'],
  ['index.js', '@scope/pkg/x.js'],
  ['index.js', '@scope/pkg/x'],
  ['index.js', '@scope/pkg'],
  ['index.js', 'dep-g'],
  ['index.js', 'mixed'],
  ['index.js', 'json-main'],
  ['index.js', 'broken'],
  ['index.js', 'app'],
  ['index.js', 'app/feature'],
  ['index.js', 'app/nope'],
  ['src/a.js', 'app/feature'],
  ['index.js', '#dep'],
  ['index.js', '#int/a'],
  ['index.js', '#cond'],
  ['index.js', '#nope'],
  ['index.js', '#bare-sub/x'],
  ['index.js', '#'],
  ['index.js', 'nested'],
  ['node_modules/nested/index.js', 'dep-a'],
  ['node_modules/dep-b/cjs.js', 'dep-a'],
  ['index.js', 'link'],
  ['index.js', 'link/lib/main'],
  ['index.js', 'missing-pkg'],
  ['index.js', 'missing-pkg/sub'],
];

const esmCases: [string, string][] = [
  ['index.js', './src/a.js'],
  ['index.js', './src/a'],
  ['index.js', './dir'],
  ['index.js', './dir/index.js'],
  ['index.js', './data.json'],
  ['index.js', 'dep-a'],
  ['index.js', 'dep-a/lib/main.js'],
  ['index.js', 'dep-a/lib/main'],
  ['index.js', 'dep-b'],
  ['index.js', 'dep-b/sub/x'],
  ['index.js', 'dep-b/nested'],
  ['index.js', 'dep-b/sync'],
  ['index.js', 'dep-b/sub/private/y'],
  ['index.js', 'dep-b/bad'],
  ['index.js', 'dep-b/gone'],
  ['index.js', 'dep-c'],
  ['index.js', 'dep-d'],
  ['index.js', 'dep-e'],
  ['index.js', 'dep-g'],
  ['index.js', 'json-main'],
  ['index.js', 'app'],
  ['index.js', 'app/feature'],
  ['index.js', '#dep'],
  ['index.js', '#int/a'],
  ['index.js', '#cond'],
  ['index.js', '#nope'],
  ['index.js', '#bare-sub/x'],
  ['index.js', 'missing-pkg'],
  ['index.js', '@scope/pkg/x.js'],
  ['index.js', '@scope'],
  ['index.js', 'fs'],
  ['index.js', 'node:fs'],
  ['index.js', 'data:text/javascript,1'],
  ['node_modules/nested/index.js', 'dep-a'],
  ['index.js', 'link'],
  ['index.js', './src/a.js?query#hash'],
  ['index.js', './src%2fa.js'],
];

type Outcome = { ok: string } | { code: string; message: string };

function nodeAnswers(kind: 'cjs' | 'esm', cases: [string, string][]): Outcome[] {
  const script =
    kind === 'cjs'
      ? `const { createRequire } = require('node:module');
         const cases = JSON.parse(process.argv[1]);
         const out = cases.map(([parent, req]) => { try { return { ok: createRequire(parent).resolve(req) }; }
           catch (e) { return { code: e.code, message: e.message }; } });
         process.stdout.write(JSON.stringify(out));`
      : `const cases = JSON.parse(process.argv[1]);
         const out = cases.map(([parent, req]) => { try { return { ok: import.meta.resolve(req, parent) }; }
           catch (e) { return { code: e.code, message: e.message }; } });
         process.stdout.write(JSON.stringify(out));`;
  const args =
    kind === 'cjs'
      ? ['--no-deprecation', '-e', script, JSON.stringify(cases.map(([p, r]) => [join(root, p), r]))]
      : [
          '--experimental-import-meta-resolve',
          '--no-warnings',
          '--input-type=module',
          '-e',
          script,
          JSON.stringify(cases.map(([p, r]) => [pathToFileURL(join(root, p)).href, r])),
        ];
  return JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', env: cleanEnv() }));
}

function attempt(fn: () => string): Outcome {
  try {
    return { ok: fn() };
  } catch (e) {
    const err = e as { code: string; message: string };
    return { code: err.code, message: err.message };
  }
}

beforeAll(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'oxpack-resolve-')));
  for (const [name, content] of Object.entries(files)) {
    const file = join(root, name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  }
  symlinkSync(join(root, 'node_modules/dep-a'), join(root, 'node_modules/link'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Asked of a child: jest's sandboxed `process` does not carry process.features.require_module.
const requireModule =
  execFileSync(process.execPath, ['-p', 'Boolean(process.features.require_module)'], { encoding: 'utf8', env: cleanEnv() }).trim() ===
  'true';
const conditions = defaultConditions({ requireModule });
const builtins = new Set(builtinModules.filter((m) => !m.startsWith('node:')));

describe('CommonJS resolution matches require.resolve', () => {
  test('every case', () => {
    const expected = nodeAnswers('cjs', cjsCases);
    const resolver = new CjsResolver(new DiskHost(builtins), conditions.require, () => ['.js', '.json', '.node']);
    const actual = cjsCases.map(([parent, request]) =>
      attempt(() => {
        const parentPath = join(root, parent);
        const found = resolver.resolve(request, { parentPath, paths: lookupPaths(request, parentPath) });
        if (found === undefined) throw moduleNotFound(request, [parentPath]);
        return found;
      }),
    );
    cjsCases.forEach((c, i) => expect([c, actual[i]]).toEqual([c, expected[i]]));
    // The fixture must exercise both outcomes.
    expect(expected.filter((o) => 'ok' in o).length).toBeGreaterThan(20);
    expect(expected.filter((o) => 'code' in o).length).toBeGreaterThan(10);
  });
});

describe('ES module resolution matches import.meta.resolve', () => {
  test('every case', () => {
    const expected = nodeAnswers('esm', esmCases);
    const resolver = new EsmResolver(new DiskHost(builtins), conditions.import);
    // import.meta.resolve answers a missing file or a directory with the URL the error carries.
    const metaResolve = (specifier: string, parent: URL): string => {
      try {
        return resolver.resolve(specifier, parent).href;
      } catch (e) {
        const err = e as { code?: string; url?: string };
        if ((err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'ERR_UNSUPPORTED_DIR_IMPORT') && err.url) return err.url;
        throw e;
      }
    };
    const actual = esmCases.map(([parent, specifier]) => attempt(() => metaResolve(specifier, pathToFileURL(join(root, parent)))));
    esmCases.forEach((c, i) => expect([c, actual[i]]).toEqual([c, expected[i]]));
  });
});
