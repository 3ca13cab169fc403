/**
 * Hostile inputs, at build time and at run time: each gets the documented behaviour, a clear message,
 * and nothing half-written or written outside the output.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cli, run } from '../support/harness.js';

let dir: string;
const write = (name: string, content: string): void => {
  mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
  writeFileSync(path.join(dir, name), content);
};
const oxpack = (args: string[]) => run(process.execPath, [cli, ...args], { cwd: dir, timeout: 300_000 });
const oxrun = (file: string, args: string[] = []) => run(process.execPath, [cli, 'run', path.join(dir, file), ...args], { cwd: dir });

describe('hostile builds', () => {
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'oxpack-hostile-'));
    write('package.json', JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { dep: '1.0.0' } }));
    write('node_modules/dep/package.json', JSON.stringify({ name: 'dep', version: '1.0.0' }));
    write('node_modules/dep/index.js', 'module.exports = 42;');
    write('app.js', "console.log(require('dep'));");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('links out of the app, link loops and FIFOs in node_modules are left out with a warning', async () => {
    symlinkSync('/etc', path.join(dir, 'node_modules/dep/etc-link'));
    symlinkSync('loop', path.join(dir, 'node_modules/dep/loop'));
    execFileSync('mkfifo', [path.join(dir, 'node_modules/dep/pipe')]); // reading it would block forever
    const r = await oxpack(['app.js', '-o', 'app.oxres', '--resources-only', '--verbose']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/warning: node_modules\/dep\/etc-link: symbolic link to the folder \/etc, which is not packed; left out/);
    expect(r.stderr).toMatch(/warning: node_modules\/dep\/loop: this symbolic link points at nothing; left out/);
    const listing = await run(process.execPath, [cli, 'inspect', 'app.oxres', '--json'], { cwd: dir });
    const names = (JSON.parse(listing.stdout) as { entries: { name: string }[] }).entries.map((e) => e.name);
    expect(names.filter((n) => /etc-link|loop|pipe|passwd/.test(n))).toEqual([]);
    expect((await oxrun('app.oxres')).stdout).toBe('42');
  });

  test('a file name with a control character is refused by name, nothing written', async () => {
    write('node_modules/dep/bad\u0001name.js', '');
    const r = await oxpack(['app.js', '-o', 'app']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(
      /error: invalid resource name "node_modules\/dep\/bad\\u0001name\.js": it contains the control character U\+0001/,
    );
    expect(r.stderr).toMatch(/hint: rename the file/);
    expect(existsSync(path.join(dir, 'app'))).toBe(false);
  });

  test('a package.json that is not JSON is named, nothing written', async () => {
    write('node_modules/dep/package.json', '{ "name": "dep", ');
    const r = await oxpack(['app.js', '-o', 'app']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/Error parsing .*node_modules\/dep\/package\.json/);
    expect(existsSync(path.join(dir, 'app'))).toBe(false);
    write('package.json', 'not json');
    const own = await oxpack(['app.js', '-o', 'app']);
    expect([own.exitCode, own.stderr]).toEqual([1, expect.stringMatching(/package\.json is not valid JSON/)]);
  });

  test('a file too large to pack is refused by name and size', async () => {
    write('huge.bin', '');
    truncateSync(path.join(dir, 'huge.bin'), 3 * 2 ** 30); // sparse: no disk space used
    const r = await oxpack(['app.js', '-o', 'app', '--assets', 'huge.bin']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/huge\.bin is 3\.0 GiB: too large to pack \(at most 2 GiB per file\)/);
    expect(existsSync(path.join(dir, 'app'))).toBe(false);
  });

  // A small tmpfs is the full disk; where mounting is not allowed (not root, or a locked-down
  // container) the test is skipped rather than faked.
  const canMount = ((): boolean => {
    if (process.getuid?.() !== 0) return false;
    const probe = mkdtempSync(path.join(tmpdir(), 'oxpack-mount-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'ignore' });
      execFileSync('umount', [probe], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    } finally {
      rmSync(probe, { recursive: true, force: true });
    }
  })();
  (canMount ? test : test.skip)('a full disk: a clear error, and nothing left in the output folder', async () => {
    const small = path.join(dir, 'small');
    mkdirSync(small);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', small]);
    try {
      const r = await oxpack(['app.js', '-o', path.join(small, 'app')]);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/error: cannot write .*small\/app: the disk is full/);
      expect(r.stderr).toMatch(/hint: free some space/);
      expect(readdirSync(small)).toEqual([]);
    } finally {
      execFileSync('umount', [small]);
    }
  });
});

describe('hostile run time', () => {
  const DEPTH = 400;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'oxpack-hostile-run-'));
    write('package.json', JSON.stringify({ name: 'app', version: '1.0.0' }));
    // a chain of DEPTH modules, each requiring the next; a require cycle; files to read concurrently
    for (let k = 0; k < DEPTH; k++)
      write(`deep/m${k}.js`, k + 1 < DEPTH ? `module.exports = 1 + require('./m${k + 1}');` : 'module.exports = 1;');
    write('cycle/a.js', "exports.early = 'a'; const b = require('./b'); exports.late = 'a'; exports.seen = b.sawA;");
    write('cycle/b.js', "const a = require('./a'); exports.sawA = Object.keys(a).join(',');");
    for (let k = 0; k < 50; k++) write(`files/f${k}.txt`, `file ${k} `.repeat(1000 + k));
    write(
      'main.js',
      `
const fs = require('fs');
const path = require('path');
const out = [];
out.push('deep ' + require('./deep/m0'));
out.push('cycle ' + JSON.stringify(require('./cycle/a')));
const code = (fn) => { try { fn(); return 'no error'; } catch (e) { return e.code + ' ' + e.syscall; } };
out.push('write ' + code(() => fs.writeFileSync(path.join(__dirname, 'files/f0.txt'), 'x')));
out.push('mkdir ' + code(() => fs.mkdirSync(path.join(__dirname, 'newdir'))));
out.push('unlink ' + code(() => fs.unlinkSync(path.join(__dirname, 'files/f1.txt'))));
out.push('still ' + fs.readFileSync(path.join(__dirname, 'files/f0.txt'), 'utf8').length);
const names = Array.from({ length: 50 }, (_, k) => path.join(__dirname, 'files', 'f' + k + '.txt'));
Promise.all([
  ...names.flatMap((n) => Array.from({ length: 10 }, () => fs.promises.readFile(n, 'utf8'))),
  ...names.map((n) => new Promise((resolve, reject) => { let s = ''; fs.createReadStream(n, { encoding: 'utf8', highWaterMark: 64 }).on('data', (d) => (s += d)).on('end', () => resolve(s)).on('error', reject); })),
]).then((all) => {
  const bad = all.filter((s, i) => s !== fs.readFileSync(names[i < 500 ? Math.floor(i / 10) : i - 500], 'utf8'));
  out.push('concurrent ' + all.length + ' reads, ' + bad.length + ' wrong');
  console.log(out.join('\\n'));
});
`,
    );
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('deep and circular requires, refused writes and concurrent reads behave as under node', async () => {
    const build = await oxpack(['main.js', '-o', 'app.oxres', '--resources-only', '--assets', 'files/**']);
    expect(build.exitCode).toBe(0);
    // node, on a copy (it really writes, and then fails to read the file it deleted)
    const copy = `${dir}-node`;
    cpSync(dir, copy, { recursive: true });
    const expected = await run(process.execPath, ['main.js'], { cwd: copy });
    rmSync(copy, { recursive: true, force: true });
    const actual = await oxrun('app.oxres');
    expect(actual.stderr).toBe('');
    expect(actual.stdout.split('\n')).toEqual([
      `deep ${DEPTH}`,
      'cycle {"early":"a","late":"a","seen":"early"}',
      'write EROFS open',
      'mkdir EROFS mkdir',
      'unlink EROFS unlink',
      `still ${'file 0 '.length * 1000}`,
      'concurrent 550 reads, 0 wrong',
    ]);
    // node agrees on the modules; its writes succeed, so its reads then fail on the deleted file
    expect(expected.stderr).toMatch(/ENOENT: no such file or directory, open '.*f1\.txt'/);
    const node = await run(process.execPath, ['-e', "console.log('deep ' + require('./deep/m0'), JSON.stringify(require('./cycle/a')))"], {
      cwd: dir,
    });
    expect(node.stdout).toBe(`deep ${DEPTH} {"early":"a","late":"a","seen":"early"}`);
    expect(existsSync(path.join(dir, 'newdir'))).toBe(false); // the packed app wrote nothing
  });
});
