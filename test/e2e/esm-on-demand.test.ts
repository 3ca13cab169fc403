/**
 * Node 20-22.14 load packed ES modules through a module.register() hooks thread, which costs 25-35 ms
 * to start. CommonJS code that merely holds an import() expression must not pay for it until the
 * import() runs, and then Node's experimental-feature warning about how that is done must not reach
 * the app's stderr.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cleanEnv, cli, run } from '../support/harness.js';

let dir: string;
const start = (args: string[]) =>
  run(process.execPath, [cli, 'run', path.join(dir, 'app.oxres'), ...args], { cwd: dir, env: cleanEnv({ OXPACK_DEBUG: 'timing' }) });
const hooksStarted = (stderr: string): boolean => /oxpack:timing ES module hooks thread started/.test(stderr);
// Lines without module.registerHooks (before 22.15) use a hooks thread; later ones need none at all.
const usesHooksThread = !('registerHooks' in (await import('node:module')).default);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'oxpack-esm-on-demand-'));
  writeFileSync(path.join(dir, 'package.json'), '{"name":"app","version":"1.0.0"}');
  writeFileSync(
    path.join(dir, 'app.js'),
    [
      'const load = (name) => import(`./plugins/${name}.mjs`);',
      "if (process.argv[2]) load(process.argv[2]).then((m) => console.log(m.default), (e) => console.log('error', e.code));",
      "else console.log('no import');",
      '',
    ].join('\n'),
  );
  mkdirSync(path.join(dir, 'plugins'));
  writeFileSync(path.join(dir, 'plugins', 'alpha.mjs'), "export default 'plugin alpha';\n");
  const build = await run(process.execPath, [cli, 'app.js', '-o', 'app.oxres', '--resources-only', '--assets', 'plugins/**'], { cwd: dir });
  expect(build.exitCode).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('an import() that never runs starts no hooks thread', async () => {
  const r = await start([]);
  expect([r.exitCode, r.stdout]).toEqual([0, 'no import']);
  expect(hooksStarted(r.stderr)).toBe(false);
});

test('the first import() that runs starts it, silently, and loads the packed module', async () => {
  const r = await start(['alpha']);
  expect([r.exitCode, r.stdout]).toEqual([0, 'plugin alpha']);
  expect(hooksStarted(r.stderr)).toBe(usesHooksThread);
  expect(r.stderr).not.toMatch(/Warning/);
  const missing = await start(['beta']);
  expect([missing.exitCode, missing.stdout]).toEqual([0, 'error ERR_MODULE_NOT_FOUND']);
});
