/**
 * Small CommonJS apps, each built once into a real executable that runs from an empty folder after its
 * sources are deleted; stdout and exit code must equal what `node entry.js` gave.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { packFixture, type PackedApp, type Scenario } from '../support/harness.js';

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
    });
  });
});

suite('stdin-exit', 'main.js', [
  { name: 'stdin with exit code', args: ['x', '--flag', 'a b'], input: 'one\ntwo\nexit 7\n' },
  { name: 'empty stdin', args: [], input: '' },
  { name: 'arguments that look like node options', args: ['--version', '-e', 'console.log(1)', '--inspect'], input: 'hi\n' },
]);
