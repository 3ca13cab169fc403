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
      walkUpErrors: ['ENOENT'],
      besideContainer: 'ENOENT',
      containerLists: ['app'],
      listedAsFolder: false,
      crawlFindsMain: false,
    });
  });
});

describe('worker threads under oxpack run', () => {
  // No SEA assets here: a worker of a packed script runs the runtime's source first (workerSourceCode).
  let app: PackedApp;
  const scenario = { name: 'threads', args: [] };
  beforeAll(async () => {
    app = await packFixture('threads', { entry: 'main.js', mode: 'resources', scenarios: [scenario] });
  }, 120_000);
  afterAll(() => app?.cleanup());

  test('start packed scripts, CommonJS and ES modules, as under node', async () => {
    const lines = (text: string) => text.split('\n').filter((l) => /^(cjs|esm|failing) worker /.test(l));
    const expected = lines(app.node.get(scenario.name)!.stdout);
    expect(expected).toHaveLength(3);
    expect(expected.join('\n')).toContain('"result":42');
    expect(lines((await app.run(scenario)).stdout)).toEqual(expected);
  });
});

describe('requires answered by the build', () => {
  let app: PackedApp;
  const custom = { NODE_OPTIONS: '--conditions=oxpack-test' };
  const scenarios: { name: string; env: Record<string, string> }[] = [
    { name: 'default conditions', env: { OXPACK_DEBUG: 'resolve' } },
    { name: 'other conditions', env: { ...custom, OXPACK_DEBUG: 'resolve' } },
    { name: 'extra extension', env: { EXPORTS_EXTRA_EXTENSION: '1', OXPACK_DEBUG: 'resolve' } },
  ];
  beforeAll(async () => {
    app = await packFixture('exports', { entry: 'main.js', mode: 'resources', scenarios });
  }, 120_000);
  afterAll(() => app?.cleanup());

  const counts = (stderr: string): number[] => {
    const m = /oxpack:resolve (\d+) packed requests answered by the build, (\d+) resolved at run time/.exec(stderr);
    expect(m).not.toBeNull();
    return [Number(m![1]), Number(m![2])];
  };

  test('"exports", "imports" and self-reference give what node gives, with no resolution at run time', async () => {
    const actual = await app.run(scenarios[0]!);
    expect(actual.stdout).toBe(app.node.get('default conditions')!.stdout);
    const [answered, resolved] = counts(actual.stderr);
    expect(answered).toBeGreaterThanOrEqual(6);
    // Left to the runtime: the entry point itself (required by path, from no module) and the three
    // subpaths the package refuses, which are resolved (and refused) as they run.
    expect(resolved).toBe(4);
  });

  test('a process started with other conditions (--conditions) resolves everything itself', async () => {
    const actual = await app.run(scenarios[1]!);
    expect(actual.stdout).toBe(app.node.get('other conditions')!.stdout);
    expect(actual.stdout).toContain('main export: fallback');
    expect(actual.stderr).toContain('(the build resolved under other conditions)');
    expect(counts(actual.stderr)[0]).toBe(0);
  });

  test('an extension the app registers makes the runtime resolve everything itself', async () => {
    const actual = await app.run(scenarios[2]!);
    expect(actual.stdout).toBe(app.node.get('extra extension')!.stdout);
    expect(actual.stdout).toContain('self reference:');
    expect(counts(actual.stderr)[0]).toBe(0);
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
