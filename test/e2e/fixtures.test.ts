/**
 * Small CommonJS apps, each built once into a real executable that runs from an empty folder after its
 * sources are deleted; stdout and exit code must equal what `node entry.js` gave.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { cleanEnv, cli, packFixture, type PackedApp, run, type Scenario } from '../support/harness.js';
import { nodeFor } from '../support/nodes.js';

const BUILD_TIMEOUT = 300_000;

function suite(fixture: string, entry: string, scenarios: Scenario[], extra?: (app: () => PackedApp) => void): void {
  describe(fixture, () => {
    let app: PackedApp;
    beforeAll(async () => {
      app = await packFixture(fixture, { entry, scenarios });
    }, BUILD_TIMEOUT);
    afterAll(() => app?.cleanup());

    test.each(scenarios.map((s) => [s.name, s] as const))('%s: same stdout and exit code as node', async (_name, scenario) => {
      const expected = app.node.get(scenario.name)!;
      const actual = await app.run(scenario);
      expect(actual.stdout).toBe(expected.stdout);
      expect(actual.exitCode).toBe(expected.exitCode);
      expect(expected.stdout.length).toBeGreaterThan(0);
    });
    extra?.(() => app);
  });
}

suite('nested-deps', 'main.js', [{ name: 'run' }], (app) => {
  test('the build warns about the optional require and nothing else of the app', () => {
    expect(app().build.stderr).toMatch(/require 'not-installed' cannot be resolved \(inside try\/catch/);
  });
});

suite('exports', 'main.js', [{ name: 'run' }]);

suite('data-files', 'main.js', [{ name: 'run' }]);

describe('virtual paths', () => {
  let app: PackedApp;
  beforeAll(async () => {
    app = await packFixture('virtual-paths', { entry: 'main.js' });
  }, BUILD_TIMEOUT);
  afterAll(() => app?.cleanup());

  test('live under the executable, read-only, and never shadow real files', async () => {
    const result = await app.run({ name: 'facts' });
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      packed: true,
      containerIsAFile: true,
      containerIsExecPathOrResources: true,

      dirnameIsADirectory: true,
      argv1IsEntry: true,
      isMain: true,
      subDirname: 'sub',
      resolvedHelper: 'sub/helper.js',
      stackShowsVirtualPath: true,
      write: 'EROFS',
      overwrite: 'EROFS',
      mkdir: 'EROFS',
      unlink: 'EROFS',
      readStillWorks: true,
      realCwdReadable: true,
      climbingOutIsReal: true,
      realpath: true,
      walkUpErrors: ['ENOENT'],
      besideContainer: 'ENOENT',
      containerLists: ['app'],
      listedAsFolder: false,
      crawlFindsMain: false,
    });
  });

  test("are found by a walk down from the executable's folder when it is outside the working folder", async () => {
    const elsewhere = path.join(app.runDir, 'elsewhere');
    mkdirSync(elsewhere, { recursive: true });
    const result = await run(app.exe, [], { cwd: elsewhere, env: cleanEnv() });
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ containerIsAFile: true, listedAsFolder: true, crawlFindsMain: true });
  });
});

suite('stdin-exit', 'main.js', [
  { name: 'stdin with exit code', args: ['x', '--flag', 'a b'], input: 'one\ntwo\nexit 7\n' },
  { name: 'empty stdin', args: [], input: '' },
  { name: 'arguments that look like node options', args: ['--version', '-e', 'console.log(1)', '--inspect'], input: 'hi\n' },
]);

describe('a glob library walking down from above the executable (tinyglobby, as TypeORM and umzug use it)', () => {
  let app: PackedApp;
  beforeAll(async () => {
    app = await packFixture('glob-entities', { entry: 'main.js', mode: 'resources', scenarios: [{ name: 'run' }] });
  }, BUILD_TIMEOUT);
  afterAll(() => app?.cleanup());

  test('finds the packed entities from the folder the app is in and from another one', async () => {
    expect(app.node.get('run')!.stdout).toBe('Cat Dog');
    expect((await app.run({ name: 'run' })).stdout).toBe('Cat Dog');
    const elsewhere = path.join(app.runDir, 'elsewhere');
    mkdirSync(elsewhere, { recursive: true });
    const result = await run(process.execPath, [cli, 'run', app.exe], { cwd: elsewhere, env: cleanEnv() });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('Cat Dog');
  });
});

describe("Node's own fs.glob with an absolute pattern under the app, run from another folder (Node 24)", () => {
  let app: PackedApp;
  let node24: string;
  beforeAll(async () => {
    node24 = await nodeFor(24);
    app = await packFixture('glob-entities', { entry: 'fsglob.js', mode: 'resources', node: node24, scenarios: [{ name: 'run' }] });
  }, BUILD_TIMEOUT);
  afterAll(() => app?.cleanup());

  test('finds the packed files in its sync, callback and promise forms', async () => {
    const expected = 'globSync entity/cat.js entity/dog.js\nglob entity/cat.js entity/dog.js\npromises.glob entity/cat.js entity/dog.js';
    expect(app.node.get('run')!.stdout).toBe(expected);
    const elsewhere = path.join(app.runDir, 'elsewhere');
    mkdirSync(elsewhere, { recursive: true });
    const result = await run(node24, [cli, 'run', app.exe], { cwd: elsewhere, env: cleanEnv() });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(expected);
  });
});
