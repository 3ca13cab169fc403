/**
 * The examples build and run as examples/README.md says, from a fresh folder.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { cpSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { cleanEnv, cli, repoRoot, run, waitForLine } from '../support/harness.js';

const TIMEOUT = 600_000;
let work: string;
let runDir: string;

/** Builds examples/<name>/<entry> (copied, installed when it has a lockfile) and moves the executable away. */
async function buildExample(name: string, entry: string, exe: string): Promise<string> {
  const src = path.join(work, name);
  cpSync(path.join(repoRoot, 'examples', name), src, { recursive: true });
  if (name === 'express-server') {
    const install = await run('npm', ['ci', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], {
      cwd: src,
      timeout: 300_000,
    });
    if (install.exitCode !== 0) throw new Error(install.stderr);
  }
  const build = await run(process.execPath, [cli, path.join(src, entry), '-o', path.join(work, exe)], { cwd: src, timeout: 300_000 });
  if (build.exitCode !== 0) throw new Error(build.stderr);
  renameSync(path.join(work, exe), path.join(runDir, exe));
  return path.join(runDir, exe);
}

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'oxpack-examples-'));
  runDir = mkdtempSync(path.join(tmpdir(), 'oxpack-examples-run-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(runDir, { recursive: true, force: true });
});

describe('examples', () => {
  test(
    'hello-cli and esm-cli',
    async () => {
      const hello = await buildExample('hello-cli', 'cli.js', 'hello');
      const todo = await buildExample('esm-cli', 'cli.js', 'todo');
      rmSync(work, { recursive: true, force: true });
      expect((await run(hello, ['fr', 'Ada'], { cwd: runDir })).stdout).toMatch(/Ada/);
      const unknown = await run(hello, ['xx'], { cwd: runDir });
      expect([unknown.exitCode, unknown.stderr]).toEqual([2, expect.stringMatching(/unknown language "xx"; try one of: de, en, fr/)]);
      expect((await run(todo, ['count', 'a', 'b'], { cwd: runDir })).stdout).toBe('todo 1.0.0: 2 things to do');
      expect((await run(todo, ['add', 'milk'], { cwd: runDir })).stdout).toBe('todo: added "milk"');
      expect((await run(todo, ['help'], { cwd: runDir })).stdout).toMatch(/^todo 1\.0\.0\n {2}add <text>/);
    },
    TIMEOUT,
  );

  test(
    'express-server serves its packed public folder and its API',
    async () => {
      work = mkdtempSync(path.join(tmpdir(), 'oxpack-examples-'));
      const server = await buildExample('express-server', 'server.js', 'server');
      rmSync(work, { recursive: true, force: true });
      const child = execa(server, [], { cwd: runDir, env: cleanEnv({ PORT: '0' }), extendEnv: false, reject: false });
      try {
        const [, port] = await waitForLine(child.stdout!, /listening on http:\/\/localhost:(\d+)/);
        const page = await fetch(`http://127.0.0.1:${port}/`);
        expect([page.status, await page.text()]).toEqual([200, expect.stringContaining('Served from inside the executable')]);
        const api = (await (await fetch(`http://127.0.0.1:${port}/api/time`)).json()) as { node: string };
        expect(api.node).toBe(process.version);
      } finally {
        child.kill();
        await child;
      }
    },
    TIMEOUT,
  );
});
