/**
 * The runtime on this Node, without injection: fixtures are packed into resources files and run with
 * `oxpack run` from an empty folder after their sources are deleted (the finder, the CommonJS hooks and
 * the fs overlay are the same code a packed executable runs).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { packFixture, type PackedApp } from '../support/harness.js';

describe('fs read APIs on packed files', () => {
  let app: PackedApp;
  beforeAll(async () => {
    app = await packFixture('fs-read', { entry: 'main.js', mode: 'resources', scenarios: [{ name: 'run' }] });
  }, 120_000);
  afterAll(() => app?.cleanup());

  test('give the same results as on disk, line by line', async () => {
    const expected = app.node.get('run')!;
    const actual = await app.run({ name: 'run' });
    expect(actual.stderr).toBe('');
    expect(actual.stdout.split('\n')).toEqual(expected.stdout.split('\n'));
    expect(expected.stdout.split('\n').length).toBeGreaterThan(50);
  });
});

describe('packed paths under oxpack run', () => {
  let app: PackedApp;
  beforeAll(async () => {
    app = await packFixture('virtual-paths', { entry: 'main.js', mode: 'resources' });
  }, 120_000);
  afterAll(() => app?.cleanup());

  test('are read-only and live under the resources file', async () => {
    const result = await app.run({ name: 'facts' });
    expect(result.stderr).toBe('');
    // Under `oxpack run` the container is the resources file; everything else holds as in an executable.
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
    });
  });
});

describe.each(['brotli', 'gzip'])('files stored with --compress %s', (method) => {
  let app: PackedApp;
  beforeAll(async () => {
    app = await packFixture('data-files', {
      entry: 'main.js',
      mode: 'resources',
      buildArgs: ['--compress', method],
      scenarios: [{ name: 'run' }],
    });
  }, 120_000);
  afterAll(() => app?.cleanup());

  test('read back exactly', async () => {
    const actual = await app.run({ name: 'run' });
    expect(actual.stderr).toBe('');
    expect(actual.stdout).toBe(app.node.get('run')!.stdout);
  });
});
