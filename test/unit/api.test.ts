/**
 * The library API: the seed's freezing workflow (find resources, collect, oxidize, index in a finder,
 * serialize, load in a finder at run time), file installs, and the build's determinism.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ResourceCollector } from '../../src/build/collector.js';
import { build } from '../../src/build/build.js';
import { writeInstalls } from '../../src/build/output.js';
import { findResourcesInPath } from '../../src/api/find-resources.js';
import { Finder } from '../../src/api/finder.js';
import { nodeFor } from '../support/nodes.js';
import { PackedIndex } from '../../src/format/reader.js';
import { cleanEnv, repoRoot } from '../support/harness.js';

let dir: string;
const write = (name: string, content: string | object): void => {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
};

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'oxpack-api-'));
  write('app/package.json', { name: 'app', version: '1.0.0' });
  write(
    'app/main.js',
    "const m = require('./lib/math'); console.log('sum', m.sum(2, 3), require('./data.json').x, require('esm-only').hello);",
  );
  write('app/lib/math.js', 'exports.sum = (a, b) => a + b;');
  write('app/data.json', '{"x": 7}');
  write('app/node_modules/esm-only/package.json', { name: 'esm-only', type: 'module', exports: './index.js' });
  write('app/node_modules/esm-only/index.js', "export const hello = 'hi';");
  write('app/mod.mjs', 'export default 1;');
  write('app/addon.node', 'not really an addon');
  write('app/bin/run.sh', '#!/bin/sh\n');
  execFileSync('chmod', ['+x', path.join(dir, 'app/bin/run.sh')]);
  mkdirSync(path.join(dir, 'app/empty'));
  symlinkSync('lib/math.js', path.join(dir, 'app/math-link.js'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('findResourcesInPath', () => {
  test('classifies every file, folder and link under a folder', () => {
    const found = findResourcesInPath(path.join(dir, 'app'));
    const kinds = Object.fromEntries(found.map((r) => [r.name, r.kind]));
    expect(kinds).toMatchObject({
      'main.js': 'commonjs',
      'lib/math.js': 'commonjs',
      'data.json': 'json',
      'package.json': 'package.json',
      'mod.mjs': 'module',
      'node_modules/esm-only/index.js': 'module',
      'addon.node': 'addon',
      'bin/run.sh': 'asset',
      empty: 'directory',
      'math-link.js': 'symlink',
    });
    expect(found.find((r) => r.name === 'bin/run.sh')?.executable).toBe(true);
    expect(Buffer.from(found.find((r) => r.name === 'math-link.js')!.data!).toString()).toBe('lib/math.js');
  });

  test('refuses a path that is not a folder', () => {
    expect(() => findResourcesInPath(path.join(dir, 'app/main.js'))).toThrow(/path is not a directory/);
  });
});

describe('ResourceCollector', () => {
  test('places resources in memory or beside, and reports the file installs', () => {
    const collector = new ResourceCollector({ allowedLocations: ['in-memory', 'filesystem-relative'] });
    collector.addInMemory({ name: 'a.js', kind: 'commonjs', data: Buffer.from('1') });
    collector.addFilesystemRelative('lib', { name: 'b.node', kind: 'addon', data: Buffer.from('bin'), executable: true });
    const { resources, fileInstalls } = collector.oxidize();
    expect(resources).toEqual([
      { name: 'a.js', kind: 'commonjs', data: Buffer.from('1') },
      { name: 'b.node', kind: 'addon', executable: true, relativePath: 'lib/b.node', size: 3 },
    ]);
    expect(fileInstalls).toEqual([{ path: 'lib/b.node', data: Buffer.from('bin'), executable: true }]);
  });

  test('a location the collector does not allow is an error naming the resource', () => {
    const memoryOnly = new ResourceCollector({ allowedLocations: ['in-memory'] });
    expect(() => memoryOnly.addFilesystemRelative('lib', { name: 'x.node', kind: 'addon' })).toThrow(
      /resource "x.node" cannot be placed filesystem-relative: this collector allows only in-memory/,
    );
    expect(() => new ResourceCollector({ allowedLocations: ['somewhere' as never] })).toThrow(/unknown resource location "somewhere"/);
    expect(() => new ResourceCollector({ allowedLocations: [] })).toThrow(/at least one/);
  });

  test('names that climb out or are absolute are refused, as are duplicates', () => {
    const c = new ResourceCollector({ allowedLocations: ['in-memory', 'filesystem-relative'] });
    expect(() => c.addInMemory({ name: '../evil.js', kind: 'commonjs' })).toThrow(
      /invalid resource name "..\/evil.js": it contains a ".." component/,
    );
    expect(() => c.addInMemory({ name: '/etc/passwd', kind: 'asset' })).toThrow(/it is absolute/);
    expect(() => c.addFilesystemRelative('../outside', { name: 'x', kind: 'asset' })).toThrow(/invalid filesystem-relative prefix/);
    c.addInMemory({ name: 'x', kind: 'asset' });
    expect(() => c.addInMemory({ name: 'x', kind: 'asset' })).toThrow(/added twice/);
  });
});

describe('Finder', () => {
  const resources = () => {
    const c = new ResourceCollector({ allowedLocations: ['in-memory'] });
    for (const r of findResourcesInPath(path.join(dir, 'app'))) c.addInMemory(r);
    return c.oxidize().resources;
  };

  test('indexes added resources, gives copies back, and serializes deterministically', () => {
    const finder = new Finder();
    finder.addResources(resources());
    finder.setMeta({ entry: 'main.js' });
    const listed = finder.indexedResources();
    expect(listed.map((r) => r.name)).toContain('lib/math.js');
    listed.find((r) => r.name === 'lib/math.js')!.data![0] = 0x21; // a copy: the finder does not change
    expect(finder.indexedResources().find((r) => r.name === 'lib/math.js')!.data![0]).toBe('e'.charCodeAt(0));
    const blob = finder.serializeIndexedResources();
    expect(PackedIndex.from(blob).meta.entry).toBe('main.js');
    const again = new Finder();
    again.addResources(resources());
    again.setMeta({ entry: 'main.js' });
    expect(again.serializeIndexedResources().equals(blob)).toBe(true);
  });

  test('a resource replaces one of the same name, and a second blob merges into the first', () => {
    const finder = new Finder();
    finder.indexBytes(withOne('a.js', 'first').serializeIndexedResources());

    finder.addResource({ name: 'a.js', kind: 'commonjs', data: Buffer.from('second') });
    finder.indexBytes(withOne('b.js', 'other').serializeIndexedResources());
    const byName = new Map(finder.indexedResources().map((r) => [r.name, Buffer.from(r.data ?? []).toString()]));
    expect(byName.get('a.js')).toBe('second');
    expect(byName.get('b.js')).toBe('other');
  });

  test('resources cannot be added once installed', () => {
    const finder = new Finder({ virtualRoot: path.join(dir, 'not-a-real-folder.oxres', 'app') });
    finder.addResource({ name: 'x.js', kind: 'commonjs', data: Buffer.from('') });
    finder.install();
    try {
      expect(() => finder.addResource({ name: 'y.js', kind: 'commonjs' })).toThrow(/before install/);
    } finally {
      finder.uninstall();
    }
    expect(finder.installed).toBe(false);
  });

  test('a finder with nothing indexed says so', () => {
    expect(() => new Finder().install()).toThrow(/no packed resources are indexed/);
  });

  function withOne(name: string, content: string): Finder {
    const f = new Finder();
    f.addResource({ name, kind: 'commonjs', data: Buffer.from(content) });
    return f;
  }
});

describe('the freezing workflow in a fresh process', () => {
  test('collect, serialize, then index and require with no node_modules present', () => {
    const out = path.join(dir, 'frozen');
    mkdirSync(out);
    const freeze = `
      import { findResourcesInPath, ResourceCollector, Finder } from ${JSON.stringify(path.join(repoRoot, 'dist/index.js'))};
      import { mkdirSync, writeFileSync } from 'node:fs';
      import path from 'node:path';
      const collector = new ResourceCollector({ allowedLocations: ['in-memory', 'filesystem-relative'] });
      for (const r of findResourcesInPath(${JSON.stringify(path.join(dir, 'app'))})) {
        if (r.kind === 'json') collector.addFilesystemRelative('data', r);
        else collector.addInMemory(r);
      }
      const { resources, fileInstalls } = collector.oxidize();
      const finder = new Finder();
      finder.addResources(resources);
      writeFileSync('app.oxres', finder.serializeIndexedResources({ entry: 'main.js' }));
      for (const f of fileInstalls) {
        mkdirSync(path.dirname(f.path), { recursive: true });
        writeFileSync(f.path, f.data);
      }`;
    execFileSync(process.execPath, ['--input-type=module', '-e', freeze], { cwd: out, env: cleanEnv() });
    expect(existsSync(path.join(out, 'data', 'data.json'))).toBe(true);

    // The launcher: a few lines with the runtime API, run from another folder.
    const launcher = path.join(out, 'launch.mjs');
    writeFileSync(
      launcher,
      `import { Finder } from ${JSON.stringify(path.join(repoRoot, 'dist/api/runtime.js'))};
const finder = new Finder();
finder.indexFile(new URL('./app.oxres', import.meta.url).pathname);
finder.run();
`,
    );
    rmSync(path.join(dir, 'app'), { recursive: true, force: true }); // the sources are gone
    const stdout = execFileSync(process.execPath, [launcher], { cwd: tmpdir(), encoding: 'utf8', env: cleanEnv() });
    expect(stdout).toBe('sum 5 7 hi\n');
  });
});

describe('file installs', () => {
  test('never write outside the chosen folder', async () => {
    const target = path.join(dir, 'installs');
    const outside = path.join(dir, 'outside');
    mkdirSync(target);
    mkdirSync(outside);
    symlinkSync(outside, path.join(target, 'escape'));
    const data = Buffer.from('x');
    await expect(writeInstalls(target, [{ path: '../x', data, executable: false }])).rejects.toThrow(
      /refusing to install "..\/x".*".." component/,
    );
    await expect(writeInstalls(target, [{ path: '/tmp/x', data, executable: false }])).rejects.toThrow(/it is absolute/);
    await expect(writeInstalls(target, [{ path: 'escape/x', data, executable: false }])).rejects.toThrow(/escape is a symbolic link/);
    // Refused as a whole: the valid install listed first was not written either.
    await expect(
      writeInstalls(target, [
        { path: 'ok.txt', data, executable: false },
        { path: 'escape/y', data, executable: false },
      ]),
    ).rejects.toThrow(/symbolic link/);
    expect(existsSync(path.join(target, 'ok.txt'))).toBe(false);
    await writeInstalls(target, [{ path: 'sub/dir/ok.txt', data, executable: true }]);
    expect(readFileSync(path.join(target, 'sub/dir/ok.txt'), 'utf8')).toBe('x');
    expect(execFileSync('ls', [outside], { encoding: 'utf8' })).toBe('');
  });
});

describe('build', () => {
  test('is deterministic: the same input gives identical resources', async () => {
    const app = path.join(dir, 'det');
    write('det/package.json', { name: 'det', version: '1.0.0' });
    write('det/main.js', "require('./a'); require('./b');");
    write('det/a.js', 'module.exports = 1;');
    write('det/b.js', 'module.exports = 2;');
    // Without code cache: V8 code caches embed the generating process's random hash seed.
    const options = { entry: 'main.js', cwd: app, resourcesOnly: true, codeCache: false };
    const one = await build({ ...options, output: path.join(dir, 'det-1.oxres') });
    const two = await build({ ...options, output: path.join(dir, 'det-2.oxres') });
    expect(one.size).toBe(two.size);
    expect(readFileSync(path.join(dir, 'det-1.oxres')).equals(readFileSync(path.join(dir, 'det-2.oxres')))).toBe(true);
  });

  test('with a code cache (Node 22), every CommonJS module carries one and only the caches differ between builds', async () => {
    const app = path.join(dir, 'det');
    const options = { entry: 'main.js', cwd: app, resourcesOnly: true, node: await nodeFor(22) };
    await build({ ...options, output: path.join(dir, 'cc-1.oxres') });
    await build({ ...options, output: path.join(dir, 'cc-2.oxres') });
    const entries = (file: string) => {
      const finder = new Finder();
      finder.indexFile(path.join(dir, file));
      return finder.indexedResources();
    };
    const [one, two] = [entries('cc-1.oxres'), entries('cc-2.oxres')];
    const modules = one.filter((r) => r.kind === 'commonjs');
    expect(modules.map((r) => r.name).sort()).toEqual(['a.js', 'b.js', 'main.js']);
    for (const r of modules) expect(r.codeCache?.length).toBeGreaterThan(0);
    const strip = (rs: typeof one) =>
      rs.map(({ codeCache: _cache, ...rest }) => ({ ...rest, data: Buffer.from(rest.data ?? []).toString('base64') }));
    expect(strip(one)).toEqual(strip(two));
  }, 300_000);

  test('on Node 20 no code cache is made (its V8 would lose file names)', async () => {
    const app = path.join(dir, 'det');
    await build({ entry: 'main.js', cwd: app, resourcesOnly: true, node: await nodeFor(20), output: path.join(dir, 'cc-20.oxres') });
    const finder = new Finder();
    finder.indexFile(path.join(dir, 'cc-20.oxres'));
    expect(finder.indexedResources().filter((r) => r.codeCache)).toEqual([]);
  }, 300_000);
});
