import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { conventionAssets } from '../../src/build/conventions.js';

let root: string;
const write = (rel: string, text = ''): void => {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), text);
};
const globs = () => conventionAssets(root).map((a) => `${a.where}: ${a.glob}`);

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'oxpack-conventions-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

test("oclif's commands folder, hooks (named with or without their extension) and manifest are packed", () => {
  write('dist/commands/hello/index.js');
  write('dist/hooks/init.js');
  write('dist/hooks/a.cjs');
  write('dist/hooks/[b].js'); // glob syntax in a name is matched literally
  write('oclif.manifest.json', '{}');
  write(
    'package.json',
    JSON.stringify({
      oclif: {
        commands: './dist/commands',
        hooks: { init: './dist/hooks/init', prerun: ['./dist/hooks/a.cjs', { target: './dist/hooks/[b].js' }] },
      },
    }),
  );
  expect(globs()).toEqual([
    'package.json "oclif.commands": dist/commands/**',
    'package.json "oclif.hooks": dist/hooks/init.js',
    'package.json "oclif.hooks": dist/hooks/a.cjs',
    'package.json "oclif.hooks": dist/hooks/\\[b\\].js',
    'oclif.manifest.json: oclif.manifest.json',
  ]);
});

test('oclif commands given as { strategy, target }; nothing for paths outside the app, missing ones, or other apps', () => {
  write('dist/index.js');
  write(
    'package.json',
    JSON.stringify({
      oclif: { commands: { strategy: 'explicit', target: './dist/index', identifier: 'COMMANDS' }, hooks: { init: '../elsewhere.js' } },
    }),
  );
  expect(globs()).toEqual(['package.json "oclif.commands": dist/index.js']);
  write('package.json', JSON.stringify({ oclif: { commands: './missing' } }));
  expect(globs()).toEqual([]);
  write('package.json', JSON.stringify({ name: 'plain' }));
  expect(globs()).toEqual([]);
  rmSync(path.join(root, 'package.json'));
  expect(globs()).toEqual([]);
});
