/**
 * Packed scripts in worker threads (CommonJS and ESM, workerData, argv, errors), in child processes
 * started with fork (IPC, argv, exit code) and with spawn(process.execPath, [script]), and pino's
 * transport thread, on every supported Node line: the output must equal `node main.js` on the same
 * binary.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import path from 'node:path';
import { packFixture, type PackedApp, run } from '../support/harness.js';
import { NODE_LINES, nodeFor } from '../support/nodes.js';

const TIMEOUT = 600_000;

describe.each(NODE_LINES.map((line) => [line]))('Node %i', (line) => {
  let app: PackedApp;
  const scenario = { name: 'threads and children', args: [] };
  beforeAll(async () => {
    app = await packFixture('threads', { entry: 'main.js', scenarios: [scenario], node: await nodeFor(line) });
  }, TIMEOUT);
  afterAll(() => app?.cleanup());

  test('workers, fork, spawn, a packed program and pino behave as under node', async () => {
    const expected = app.node.get(scenario.name)!;
    const actual = await app.run(scenario);
    expect(actual.stderr).toBe(expected.stderr);
    expect(actual.stdout).toBe(expected.stdout);
    expect(actual.exitCode).toBe(0);
    // what the fixture checks, so that a broken baseline cannot pass unnoticed
    expect(expected.stdout).toContain('"result":42');
    expect(expected.stdout).toContain('"words":["PACKED","ESM"]');
    expect(expected.stdout).toContain('"error":"worker failed on purpose"');
    expect(expected.stdout).toContain('"doubled":40');
    expect(expected.stdout).toContain('"code":7');
    expect(expected.stdout).toContain('plain child three 8 undefined');
    expect(expected.stdout).toContain('hello from pino');
    expect(expected.stdout).toContain('execFileSync program four');
    expect(expected.stdout).toContain('spawnSync program five');
    expect(expected.stdout).toContain('promisified execFile program seven');
    expect(expected.stdout).toContain('"stdout":"program six\\n","code":0');
  });

  test("the runtime and CommonJS modules compile with code caches, the build's (Node 22 and later) then their own, none rejected", async () => {
    // a fresh cache folder: on Node 20 the first start makes caches and uses none
    const fresh = path.join(app.runDir, `cache-${Date.now()}`);
    const start = () => app.run({ ...scenario, env: { OXPACK_DEBUG: 'cache', OXPACK_CACHE_DIR: fresh } });
    // one line per thread and process: the main one, workers, forked and spawned children
    const counts = (stderr: string) =>
      [...stderr.matchAll(/oxpack:cache code cache: (\d+) used, (\d+) rejected/g)].map((m) => [Number(m[1]), Number(m[2])]);
    const result = await start();
    expect(result.stdout).toBe(app.node.get(scenario.name)!.stdout);
    const first = counts(result.stderr);
    expect(first.length).toBeGreaterThanOrEqual(3);
    expect(first.every(([, rejected]) => rejected === 0)).toBe(true);
    const used = first.reduce((sum, [n]) => sum + n!, 0);
    if (line >= 22) expect(used).toBeGreaterThan(10);
    else expect(used).toBe(0);
    // the first start leaves a note, the second writes caches of its own (every function it
    // compiled), the third uses them
    expect(result.stderr).not.toMatch(/oxpack:cache wrote/);
    const second = await start();
    expect(second.stdout).toBe(app.node.get(scenario.name)!.stdout);
    expect(second.stderr).toMatch(/oxpack:cache wrote \d+ code caches/);
    const third = await start();
    expect(third.stdout).toBe(app.node.get(scenario.name)!.stdout);
    const last = counts(third.stderr);
    expect(last.every(([, rejected]) => rejected === 0)).toBe(true);
    expect(last.reduce((sum, [n]) => sum + n!, 0)).toBeGreaterThan(10);
    // The runtime itself starts from the cache the build made, on every line, in the main process, in
    // the children started from the executable and in worker threads.
    const runtime = [...result.stderr.matchAll(/oxpack:cache runtime code cache: (\w+)( \(worker\))?/g)];
    expect(runtime.filter((m) => !m[2]).length).toBeGreaterThanOrEqual(3);
    expect(runtime.filter((m) => m[2]).length).toBeGreaterThanOrEqual(2);
    expect(new Set(runtime.map((m) => m[1]))).toEqual(new Set(['used']));
  });

  test('a virtual path that names no packed script is refused, not run as the app', async () => {
    const missing = path.join(app.exe, 'app', 'no-such-script.js');
    const result = await run(app.exe, [missing, 'x'], { cwd: app.runDir });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`cannot run ${missing}: no such script is packed`);
    expect(result.stdout).toBe('');
  });
});
