/**
 * Native addons from the executable: sharp (an N-API addon that loads libvips from another package
 * through its rpath) and better-sqlite3 (built from source at install), extracted into the per-user
 * cache; many first starts at once; a tampered cache; a cache that is a link or another user's; and
 * addons installed beside the executable instead (--beside), which need no extraction.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import {
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { cleanEnv, cli, packFixture, type PackedApp, run } from '../support/harness.js';
import { hostLine, NODE_LINES, nodeFor } from '../support/nodes.js';

const TIMEOUT = 600_000;

/** Every file under `dir`, relative, with its SHA-256. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

describe('sharp', () => {
  let app: PackedApp;
  const scenario = { name: 'resize', args: [] };
  const withCache = (cache: string) => ({ cwd: app.runDir, env: cleanEnv({ OXPACK_CACHE_DIR: cache }) });

  beforeAll(async () => {
    app = await packFixture('addon-sharp', { entry: 'main.js', scenarios: [scenario] });
  }, TIMEOUT);
  afterAll(() => app?.cleanup());

  test('loads from the executable, libvips found through the rpath in the cache', async () => {
    const cache = path.join(app.runDir, 'cache-first');
    const result = await run(app.exe, [], withCache(cache));
    const expected = app.node.get(scenario.name)!;
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(expected.stdout);
    expect(expected.stdout).toMatch(/^png 4 3 12 255,0,0\nvips \d+\.\d+/);
    // <cache>/addons/<hash>/ keeps the packed layout, closed to other users
    const [hash] = readdirSync(path.join(cache, 'addons'));
    const files = Object.keys(tree(path.join(cache, 'addons', hash!)));
    expect(files.some((f) => /sharp-linux-x64\.node$/.test(f))).toBe(true);
    expect(files.some((f) => /sharp-libvips-linux-x64\/lib\/libvips-cpp\.so/.test(f))).toBe(true);
    for (const dir of [cache, path.join(cache, 'addons'), path.join(cache, 'addons', hash!)]) {
      expect(statSync(dir).mode & 0o777).toBe(0o700);
    }
  });

  test('ten first starts at once on an empty cache all succeed', async () => {
    const cache = path.join(app.runDir, 'cache-race');
    const results = await Promise.all(Array.from({ length: 10 }, () => run(app.exe, [], withCache(cache))));
    const expected = app.node.get(scenario.name)!.stdout;
    expect(results.map((r) => [r.exitCode, r.stdout, r.stderr])).toEqual(results.map(() => [0, expected, '']));
    // no temporary file is left behind
    expect(Object.keys(tree(cache)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('a tampered cached addon is detected and replaced', async () => {
    const cache = path.join(app.runDir, 'cache-tamper');
    expect((await run(app.exe, [], withCache(cache))).exitCode).toBe(0);
    const before = tree(cache);
    const addon = Object.keys(before).find((f) => f.endsWith('.node'))!;
    const file = path.join(cache, addon);
    const bytes = readFileSync(file);
    bytes[bytes.length - 100] ^= 0xff; // same size, different bytes
    writeFileSync(file, bytes);
    expect(tree(cache)[addon]).not.toBe(before[addon]);
    const result = await run(app.exe, [], withCache(cache));
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(app.node.get(scenario.name)!.stdout);
    // the addons as they were (the second start also makes code caches, under code/)
    const addons = (files: Record<string, string>) => Object.fromEntries(Object.entries(files).filter(([f]) => f.startsWith('addons/')));
    expect(addons(tree(cache))).toEqual(addons(before));
    expect(Object.keys(addons(before)).length).toBeGreaterThanOrEqual(2);
  });

  test("a cache folder that is a link, or another user's, is refused: a private folder is used, with a warning", async () => {
    const target = path.join(app.runDir, 'elsewhere');
    mkdirSync(target, { mode: 0o700 });
    const linked = path.join(app.runDir, 'cache-link');
    mkdirSync(linked, { mode: 0o700 });
    symlinkSync(target, path.join(linked, 'addons'));
    const viaLink = await run(app.exe, [], withCache(linked));
    expect(viaLink.exitCode).toBe(0);
    expect(viaLink.stdout).toBe(app.node.get(scenario.name)!.stdout);
    expect(viaLink.stderr).toMatch(/cannot use the addon cache .*cache-link: .*addons is a symbolic link; using the private folder/);
    expect(readdirSync(target)).toEqual([]); // nothing written through the link
    expect(lstatSync(path.join(linked, 'addons')).isSymbolicLink()).toBe(true);

    if (process.getuid?.() === 0) {
      // as root, a folder can be handed to another user to see the owner check at work
      const foreign = path.join(app.runDir, 'cache-foreign');
      mkdirSync(foreign, { mode: 0o700 });
      chownSync(foreign, 4242, 4242);
      const result = await run(app.exe, [], withCache(foreign));
      expect(result.exitCode).toBe(0);
      expect(result.stderr).toMatch(/belongs to another user \(uid 4242\)/);
      expect(readdirSync(foreign)).toEqual([]);
    }
  });
});

describe('better-sqlite3 (built from source at install)', () => {
  let app: PackedApp;
  let beside: PackedApp;
  const scenario = { name: 'queries', args: [] };

  beforeAll(async () => {
    app = await packFixture('addon-sqlite', { entry: 'main.js', scenarios: [scenario], installScripts: true });
    beside = await packFixture('addon-sqlite', {
      entry: 'main.js',
      scenarios: [scenario],
      installScripts: true,
      buildArgs: ['--beside', '**/*.node'],
    });
  }, TIMEOUT);
  afterAll(() => {
    app?.cleanup();
    beside?.cleanup();
  });

  test('runs its queries as under node, the addon extracted to the cache', async () => {
    const cache = path.join(app.runDir, 'cache');
    const result = await run(app.exe, [], { cwd: app.runDir, env: cleanEnv({ OXPACK_CACHE_DIR: cache }) });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(app.node.get(scenario.name)!.stdout);
    expect(result.stdout).toMatch(/^3 linus,grace,ada\nsqlite 3\./);
    expect(Object.keys(tree(cache)).some((f) => f.endsWith('better_sqlite3.node'))).toBe(true);
  });

  test("node-gyp's leftovers from the install-time build are not packed, the addon is", async () => {
    const report = JSON.parse((await run(process.execPath, [cli, 'inspect', '--json', app.exe])).stdout) as { entries: { path: string }[] };
    const built = report.entries.map((e) => e.path).filter((p) => p.startsWith('node_modules/better-sqlite3/build/'));
    expect(built).toContain('node_modules/better-sqlite3/build/Release/better_sqlite3.node');
    // under node the folder holds object files, static archives and Makefiles too (17 MB for 2 MB of addon)
    expect(built.filter((p) => /\/(obj\.target|obj|\.deps)\/|\.(o|a|mk)$|Makefile$|config\.gypi$/.test(p))).toEqual([]);
  });

  test('with --beside the addon is loaded from beside the executable, nothing extracted', async () => {
    const cache = path.join(beside.runDir, 'cache');
    const companions = readdirSync(beside.runDir).filter((f) => f.endsWith('.files'));
    expect(companions).toHaveLength(1);
    expect(Object.keys(tree(path.join(beside.runDir, companions[0]!))).some((f) => f.endsWith('better_sqlite3.node'))).toBe(true);
    const result = await run(beside.exe, [], { cwd: beside.runDir, env: cleanEnv({ OXPACK_CACHE_DIR: cache }) });
    expect(result.stdout).toBe(beside.node.get(scenario.name)!.stdout);
    // nothing extracted (a Node 20 executable may keep code caches there, under code/)
    expect(existsSync(path.join(cache, 'addons'))).toBe(false);
    // and the executable moves with its companion folder
    const moved = path.join(beside.runDir, 'moved');
    mkdirSync(moved);
    renameSync(beside.exe, path.join(moved, path.basename(beside.exe)));
    renameSync(path.join(beside.runDir, companions[0]!), path.join(moved, companions[0]!));
    const again = await run(path.join(moved, path.basename(beside.exe)), [], { cwd: moved, env: cleanEnv({ OXPACK_CACHE_DIR: cache }) });
    expect(again.stdout).toBe(beside.node.get(scenario.name)!.stdout);
  });
});

describe.each(NODE_LINES.filter((line) => line !== hostLine).map((line) => [line]))('sharp on Node %i', (line) => {
  let app: PackedApp;
  const scenario = { name: 'resize', args: [] };
  beforeAll(async () => {
    app = await packFixture('addon-sharp', { entry: 'main.js', scenarios: [scenario], node: await nodeFor(line) });
  }, TIMEOUT);
  afterAll(() => app?.cleanup());

  test('the addon is extracted and loads as under node', async () => {
    const cache = path.join(app.runDir, 'cache');
    const result = await run(app.exe, [], { cwd: app.runDir, env: cleanEnv({ OXPACK_CACHE_DIR: cache }) });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(app.node.get(scenario.name)!.stdout);
    expect(result.stdout).toMatch(/^png 4 3 12 255,0,0\n/);
    expect(Object.keys(tree(cache)).some((f) => f.endsWith('sharp-linux-x64.node'))).toBe(true);
  });
});
