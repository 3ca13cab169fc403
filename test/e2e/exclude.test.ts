/**
 * --exclude and the config's "exclude": files of whole-packed packages that the app never reads are
 * left out, what the app loads stays (with a warning), and the app runs from a fresh folder.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { cli, packFixture, run, type PackedApp } from '../support/harness.js';

describe('leaving files out', () => {
  let app: PackedApp;
  beforeAll(async () => {
    app = await packFixture('exclude', {
      entry: 'main.js',
      mode: 'resources',
      scenarios: [{ name: 'run' }],
      buildArgs: [
        '--exclude',
        'node_modules/**/*.d.ts',
        '--exclude',
        '**/*.map',
        '--exclude',
        'node_modules/widget/test/',
        // loaded by the app: packed anyway
        '--exclude',
        'node_modules/widget/index.js',
        '--exclude',
        'nothing/**',
      ],
    });
  }, 300_000);
  afterAll(() => app?.cleanup());

  test('the app runs without them, reading what it needs', async () => {
    expect(app.node.get('run')!.stdout).toBe(
      'sky is blue\nindex.d.ts true\nindex.js.map true\ntest true\ndocs true\ndata/colors.json true',
    );
    const result = await app.run({ name: 'run' });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('sky is blue\nindex.d.ts false\nindex.js.map false\ntest false\ndocs false\ndata/colors.json true');
  });

  test('the build says what it left out, and which patterns did not do what they say', () => {
    // index.d.ts, index.js.map, test/widget.test.js and (by the config) docs/guide.md
    expect(app.build.stdout + app.build.stderr).toMatch(/collect: \d+ files, 1 package, 4 files left out \(\d+ B\)/);
    expect(app.build.stderr).toContain(
      '--exclude pattern "node_modules/widget/index.js" matches 1 file the app loads, packed anyway: node_modules/widget/index.js',
    );
    expect(app.build.stderr).toContain('--exclude pattern "nothing/**" matches no packed file');
  });

  test('the packed tree has neither the files nor the folders they emptied', async () => {
    const report = JSON.parse((await run(process.execPath, [cli, 'inspect', '--json', app.exe])).stdout) as {
      entries: { path: string; kind: string }[];
    };
    const widget = report.entries
      .map((e) => e.path)
      .filter((p) => p.startsWith('node_modules/widget'))
      .sort();
    expect(widget).toEqual([
      'node_modules/widget',
      'node_modules/widget/data',
      'node_modules/widget/data/colors.json',
      'node_modules/widget/index.js',
      'node_modules/widget/package.json',
    ]);
  });
});
