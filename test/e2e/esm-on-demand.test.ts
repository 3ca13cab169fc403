/**
 * Packed ES modules need the ES module hooks: a module.register() thread on Node 20-22.14, which costs
 * 25-35 ms to start, and module.registerHooks() from 22.15 on, which every require() then passes
 * through (about 8 ms of ESLint's start on Node 24). CommonJS code that merely holds an import()
 * expression must pay for neither until the import() runs, on every line, and then Node's
 * experimental-feature warning about how that is done must not reach the app's stderr.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cleanEnv, cli, run } from '../support/harness.js';
import { NODE_LINES, nodeFor } from '../support/nodes.js';

let dir: string;
const hooksStarted = (stderr: string): boolean => /oxpack:timing ES module hooks (thread started|registered)/.test(stderr);

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
  // Large enough to open the local code cache file (cjs-hooks.ts LOCAL_CACHE_MIN_SIZE).
  writeFileSync(
    path.join(dir, 'cached.js'),
    [`// ${'padding '.repeat(160)}`, "import('./plugins/alpha.mjs').then((m) => console.log(m.default));", ''].join('\n'),
  );
  mkdirSync(path.join(dir, 'plugins'));
  writeFileSync(path.join(dir, 'plugins', 'alpha.mjs'), "export default 'plugin alpha';\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(NODE_LINES.map((line) => [line]))('Node %i', (line) => {
  let node: string;
  const resources = () => path.join(dir, `app-${line}.oxres`);
  const cachedResources = () => path.join(dir, `cached-${line}.oxres`);
  const start = (args: string[]) => run(node, [cli, 'run', resources(), ...args], { cwd: dir, env: cleanEnv({ OXPACK_DEBUG: 'timing' }) });

  beforeAll(async () => {
    node = await nodeFor(line);
    const build = await run(
      process.execPath,
      [cli, 'app.js', '-o', resources(), '--resources-only', '--assets', 'plugins/**', '--node', node],
      {
        cwd: dir,
      },
    );
    expect(build.exitCode).toBe(0);
    const cached = await run(
      process.execPath,
      [cli, 'cached.js', '-o', cachedResources(), '--resources-only', '--assets', 'plugins/**', '--node', node],
      {
        cwd: dir,
      },
    );
    expect(cached.exitCode).toBe(0);
  }, 300_000);

  test('an import() that never runs starts no hooks', async () => {
    const r = await start([]);
    expect([r.exitCode, r.stdout]).toEqual([0, 'no import']);
    expect(hooksStarted(r.stderr)).toBe(false);
  });

  test('the first import() that runs starts them, silently, and loads the packed module', async () => {
    const r = await start(['alpha']);
    expect([r.exitCode, r.stdout]).toEqual([0, 'plugin alpha']);
    expect(hooksStarted(r.stderr)).toBe(true);
    expect(r.stderr).not.toMatch(/Warning/);
    const missing = await start(['beta']);
    expect([missing.exitCode, missing.stdout]).toEqual([0, 'error ERR_MODULE_NOT_FOUND']);
  });

  test("packed ES modules compile with Node's compile cache from the second start on (Node 22+)", async () => {
    const cache = mkdtempSync(path.join(tmpdir(), 'oxpack-esm-cache-'));
    try {
      const env = cleanEnv({ OXPACK_DEBUG: 'cache', OXPACK_CACHE_DIR: cache, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' });
      const twice = [];
      for (let k = 0; k < 2; k++) twice.push(await run(node, [cli, 'run', resources(), 'alpha'], { cwd: dir, env }));
      const [first, second] = twice as [Awaited<ReturnType<typeof run>>, Awaited<ReturnType<typeof run>>];
      expect([first.stdout, second.stdout]).toEqual(['plugin alpha', 'plugin alpha']);
      // Node's own debug output (NODE_DEBUG_NATIVE): "[V8 code ]cache for [ESM ]<url> was accepted"
      const accepted = /cache for (?:ESM )?file:\/\/\S+\/app\/plugins\/alpha\.mjs was accepted/;
      if (line >= 22) {
        expect(first.stderr).toMatch(/oxpack:cache ES module compile cache: ENABLED \(\S+\/code\/[0-9a-f]+\/[0-9a-f]+\/esm\)/);
        expect(first.stderr).not.toMatch(accepted);
        expect(second.stderr).toMatch(accepted);
      } else {
        expect(first.stderr + second.stderr).not.toMatch(/compile cache/);
      }
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  test('CommonJS code whose import() starts the hooks compiles from its local code cache on Node 22+, and its import() works', async () => {
    // The first start leaves a note, the second makes the caches at its end, the third uses them.
    const cache = mkdtempSync(path.join(tmpdir(), 'oxpack-import-cache-'));
    try {
      const env = cleanEnv({ OXPACK_DEBUG: 'cache', OXPACK_CACHE_DIR: cache });
      const starts = [];
      for (let k = 0; k < 3; k++) starts.push(await run(node, [cli, 'run', cachedResources()], { cwd: dir, env }));
      expect(starts.map((r) => [r.exitCode, r.stdout])).toEqual(Array(3).fill([0, 'plugin alpha']));
      const third = starts[2]!.stderr;
      expect(third).not.toMatch(/Warning/);
      // Node 20's V8 would drop the script's import() callback with a cache: there it compiles from source.
      const used = /oxpack:cache used \S+\/app\/cached\.js/;
      if (line >= 22) expect(third).toMatch(used);
      else expect(third).not.toMatch(used);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
