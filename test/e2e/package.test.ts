/**
 * `npm pack` gives a tarball that installs into another project and builds a working executable there
 * (the template and everything else the CLI needs travel inside it).
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot, run } from '../support/harness.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'oxpack-pack-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

test('the packed tarball installs elsewhere and builds an executable', async () => {
  const pack = await run('npm', ['pack', '--pack-destination', work, '--loglevel=error'], { cwd: repoRoot });
  expect(pack.exitCode).toBe(0);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  expect(tarball).toMatch(/^oxpack-\d+\.\d+\.\d+\.tgz$/);

  const project = path.join(work, 'project');
  mkdirSync(project);
  writeFileSync(path.join(project, 'package.json'), '{"name":"consumer","version":"1.0.0","private":true}');
  writeFileSync(path.join(project, 'app.js'), "console.log('built by the installed oxpack', process.argv.slice(2).join(' '));\n");
  const install = await run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', path.join(work, tarball!)],
    { cwd: project, timeout: 300_000 },
  );
  expect(install.exitCode).toBe(0);

  const build = await run('npx', ['--no-install', 'oxpack', 'app.js', '-o', 'app'], { cwd: project, timeout: 300_000 });
  expect(build.stderr).toMatch(/built executable app/);
  expect(build.exitCode).toBe(0);
  const result = await run(path.join(project, 'app'), ['x', 'y'], { cwd: work });
  expect(result.stdout).toBe('built by the installed oxpack x y');
  expect(result.exitCode).toBe(0);
}, 600_000);
