/**
 * Filesystem-relative resources: files matched by "beside" globs are installed in a folder next to the
 * executable instead of inside it, and the finder reads them from there through its origin.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, readdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { cli, packFixture, run, type PackedApp } from '../support/harness.js';

describe.each(['executable', 'resources'] as const)('files beside the %s', (mode) => {
  let app: PackedApp;
  beforeAll(async () => {
    app = await packFixture('beside', { entry: 'main.js', mode, scenarios: [{ name: 'run' }] });
  }, 300_000);
  afterAll(() => app?.cleanup());

  test('are installed next to it and read from there', async () => {
    const folder = 'beside.files';
    expect(readdirSync(app.runDir).sort()).toEqual([path.basename(app.exe), folder].sort());
    expect(existsSync(path.join(app.runDir, folder, 'lib', 'heavy.js'))).toBe(true);
    expect(existsSync(path.join(app.runDir, folder, 'media', 'clip.txt'))).toBe(true);
    expect(existsSync(path.join(app.runDir, folder, 'lib', 'light.js'))).toBe(false);

    const actual = await app.run({ name: 'run' });
    expect(actual.stdout).toBe(app.node.get('run')!.stdout);
    expect(actual.exitCode).toBe(0);
  });

  test('inspect shows where each entry lives', async () => {
    const report = JSON.parse((await run(process.execPath, [cli, 'inspect', '--json', app.exe])).stdout) as {
      entries: { path: string; location: string; storedSize: number }[];
    };
    const byPath = new Map(report.entries.map((e) => [e.path, e]));
    expect(byPath.get('lib/heavy.js')).toMatchObject({ location: 'filesystem-relative:beside.files/lib/heavy.js', storedSize: 0 });
    expect(byPath.get('media/clip.txt')?.location).toBe('filesystem-relative:beside.files/media/clip.txt');
    expect(byPath.get('lib/light.js')?.location).toBe('in-memory');
  });

  test('a missing file beside it fails where it is read, naming the path', async () => {
    const clip = path.join(app.runDir, 'beside.files', 'media', 'clip.txt');
    renameSync(clip, `${clip}.gone`);
    try {
      const result = await app.run({ name: 'run' });
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain(`ENOENT: no such file or directory, open '${clip}'`);
    } finally {
      renameSync(`${clip}.gone`, clip);
    }
  });
});
