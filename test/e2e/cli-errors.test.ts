/**
 * Bad input gets one clear message, a non-zero exit code, and leaves nothing at the output path.
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cleanEnv, cli, run } from '../support/harness.js';
import { hostLine, nodeFor } from '../support/nodes.js';

let dir: string;
const oxpack = (args: string[], cwd = dir) => run(process.execPath, [cli, ...args], { cwd });
/** Writes `text` at `rel` (a '/'-separated path) under the test's folder, making the folders above it. */
const write = (rel: string, text: string): void => {
  const file = path.join(dir, ...rel.split('/'));
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
};

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'oxpack-cli-'));
  write('package.json', '{"name":"app","version":"1.0.0"}');
  write('app.js', "console.log('hi');\n");
});
afterEach(() => {
  chmodSync(dir, 0o755);
  rmSync(dir, { recursive: true, force: true });
});

describe('the command line refuses bad input clearly', () => {
  test('a missing entry point', async () => {
    const r = await oxpack(['nope.js', '-o', 'out']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/error: the entry point nope\.js does not exist/);
    expect(r.stderr).toMatch(/hint: /);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(existsSync(path.join(dir, 'out'))).toBe(false);
  });

  test('an entry point that is a folder', async () => {
    mkdirSync(path.join(dir, 'lib'));
    const r = await oxpack(['lib', '-o', 'out']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/the entry point lib is a folder/);
    expect(r.stderr).toMatch(/hint: name the script itself, e\.g\. lib\/index\.js/);
  });

  test('TypeScript, as the entry point or loaded by the app, is refused with the way out', async () => {
    write('app.ts', 'const n: number = 1;\nconsole.log(n);\n');
    write('lib.ts', 'export const two: number = 2;\n');
    const r = await oxpack(['app.ts', '-o', 'out']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/error: the entry point app\.ts is TypeScript: oxpack packs JavaScript/);
    expect(r.stderr).toMatch(/hint: compile the app to JavaScript first/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    write('app.js', "console.log('js');\nimport('./lib.ts').then((m) => console.log(m.two));\n");
    const s = await oxpack(['app.js', '-o', 'out']);
    expect(s.exitCode).toBe(1);
    expect(s.stderr).toMatch(/an import of the app loads TypeScript/);
    expect(s.stderr).toMatch(/app\.js:2:1: import\(\) '\.\/lib\.ts' loads TypeScript/);
    expect(existsSync(path.join(dir, 'out'))).toBe(false);
  });

  test('no output path', async () => {
    const r = await oxpack(['app.js']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/no output path given/);
  });

  test('an unresolvable require names the specifier and the importing file with its line', async () => {
    write('app.js', "const a = 1;\nrequire('./missing-file');\nrequire('left-pad');\ntry { require('optional-thing'); } catch {}\n");
    const r = await oxpack(['app.js', '-o', 'out']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/2 imports of the app cannot be resolved/);
    expect(r.stderr).toMatch(/app\.js:2:1: require '\.\/missing-file' cannot be resolved/);
    expect(r.stderr).toMatch(/app\.js:3:1: require 'left-pad' cannot be resolved/);
    expect(r.stderr).toMatch(/warning: app\.js:4:7: require 'optional-thing' cannot be resolved \(inside try\/catch/);
    expect(r.stderr).toMatch(/hint: .*--external/);
    expect(existsSync(path.join(dir, 'out'))).toBe(false);
  });

  test('an unwritable output folder', async () => {
    // Permission bits do not stop root, so as root the test writes into sysfs, which refuses everyone.
    const asRoot = process.getuid?.() === 0;
    const ro = asRoot ? '/sys' : path.join(dir, 'ro');
    if (!asRoot) {
      mkdirSync(ro);
      chmodSync(ro, 0o555);
    }
    const before = readdirSync(ro);
    const out = path.join(ro, `oxpack-test-${process.pid}`);
    const r = await oxpack(['app.js', '-o', out]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`cannot write ${out}: permission denied`);
    expect(r.stderr).toMatch(/hint: choose another output path with -o/);
    expect(readdirSync(ro)).toEqual(before);
  }, 60_000);

  test('an output folder that does not exist', async () => {
    const r = await oxpack(['app.js', '-o', 'no/such/dir/out']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/the folder .*no\/such\/dir does not exist/);
  });

  test('an output path equal to the entry point', async () => {
    const r = await oxpack(['app.js', '-o', 'app.js']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/the output .*app\.js is the entry point: writing it would destroy an input/);
    expect(readFileSync(path.join(dir, 'app.js'), 'utf8')).toBe("console.log('hi');\n");
  });

  test('an output path equal to another input file', async () => {
    write('app.js', "require('./lib.js');\n");
    write('lib.js', 'module.exports = 1;\n');
    const r = await oxpack(['app.js', '-o', 'lib.js']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/the output .*lib\.js is a file the app packs/);
    expect(readFileSync(path.join(dir, 'lib.js'), 'utf8')).toBe('module.exports = 1;\n');
  });

  test('an unknown option is a usage error', async () => {
    const r = await oxpack(['app.js', '-o', 'out', '--frobnicate']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--frobnicate'/);
  });

  test('a bad --compress value is a usage error', async () => {
    const r = await oxpack(['app.js', '-o', 'out', '--compress', 'zip']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/use "brotli" or "gzip"/);
  });

  test('an unknown setting in package.json suggests the right one', async () => {
    write('package.json', '{"name":"app","oxpack":{"asset":["x/**"]}}');
    const r = await oxpack(['app.js', '-o', 'out']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/unknown setting "asset"/);
    expect(r.stderr).toMatch(/did you mean "assets"\?/);
  });

  test('an interrupted build leaves nothing behind', async () => {
    const child = execa(process.execPath, [cli, 'app.js', '-o', 'out'], { cwd: dir, reject: false, env: cleanEnv(), extendEnv: false });
    // Wait for the temporary executable beside the output, then interrupt the injection.
    const deadline = Date.now() + 60_000;
    while (!readdirSync(dir).some((f) => f.endsWith('.tmp')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(dir).some((f) => f.endsWith('.tmp'))).toBe(true);
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(result.stderr).toMatch(/interrupted: nothing was written/);
    expect(readdirSync(dir).sort()).toEqual(['app.js', 'package.json']);
  }, 120_000);
});

describe('terminal output', () => {
  const build = (env: Record<string, string>) =>
    run(process.execPath, [cli, 'app.js', '-o', 'app.oxres', '--resources-only'], { cwd: dir, env: cleanEnv(env) });

  test('a pipe gets plain text, even on a CI service; FORCE_COLOR colours it, NO_COLOR does not', async () => {
    const ci = await build({ CI: 'true' });
    expect(ci.exitCode).toBe(0);
    expect(ci.stderr).not.toMatch(/\x1b\[/);
    // One plain line per finished step, then the summary.
    expect(ci.stderr).toMatch(/^✓ target: Node v\d+\.\d+\.\d+ linux-x64 \(\d+\.\d s\)$/m);
    expect(ci.stderr).toMatch(/^✓ trace: 1 file reached \(\d+\.\d s\)$/m);
    expect(ci.stderr).toMatch(/\nbuilt resources file app\.oxres \(\d+ B\): 2 files, 0 packages, /);
    const forced = await run(process.execPath, [cli, 'nope.js', '-o', 'out'], { cwd: dir, env: cleanEnv({ FORCE_COLOR: '1' }) });
    expect(forced.stderr).toMatch(/^\x1b\[31merror\x1b\[39m: the entry point nope\.js does not exist/);
    expect((await build({ NO_COLOR: '1' })).stderr).not.toMatch(/\x1b\[/);
    expect((await build({ CI: 'true' }).then(() => oxpack(['app.js', '-o', 'app.oxres', '--resources-only', '-q']))).stderr).toBe('');
  });

  test('a reader that stops early (`oxpack inspect app | head -1`) ends the command quietly, not with an EPIPE stack trace', async () => {
    // Enough entries that the listing outgrows the pipe's buffer, so writes go on after head has gone.
    mkdirSync(path.join(dir, 'data'));
    for (let i = 0; i < 3000; i++) writeFileSync(path.join(dir, 'data', `file-${i}.txt`), `${i}\n`);
    expect((await oxpack(['app.js', '-o', 'app.oxres', '--resources-only', '--assets', 'data/**'])).exitCode).toBe(0);
    const inspect = `${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} inspect app.oxres`;
    const r = await run('sh', ['-c', `${inspect} | head -1`], { cwd: dir });
    expect(r.stdout.split('\n')[0]).toMatch(/^app\.oxres: oxpack resources file/);
    expect(r.stderr).toBe('');
    // The listing really is larger than what head took: the pipe did close under the writer.
    expect((await oxpack(['inspect', 'app.oxres'])).stdout.length).toBeGreaterThan(200_000);
  });

  // `script` (util-linux) runs the build on a pseudo-terminal, as a person at a terminal would.
  const hasScript = existsSync('/usr/bin/script');
  (hasScript ? test : test.skip)('a terminal gets a live progress line that is erased when the build ends', async () => {
    const command = `stty cols 100; ${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} app.js -o app.oxres --resources-only`;
    const r = await run('script', ['-qec', command, '/dev/null'], { cwd: dir });
    expect(r.exitCode).toBe(0);
    const out = r.stdout.replace(/\r\n/g, '\n');
    expect(out).toMatch(/\r\x1b\[2K\x1b\[36m⠋ tracing imports… \d+\.\d s\x1b\[39m/);
    expect(out).toMatch(/\r\x1b\[2K\x1b\[32m✓\x1b\[39m trace: 1 file reached/);
    // Every live line was replaced by the step's result; the summary ends the output.
    expect(out.split('\n').filter((line) => /⠋[^\r]*$/.test(line))).toEqual([]);
    expect(out).toMatch(/\n\x1b\[32mbuilt\x1b\[39m resources file app\.oxres [^\r\n]*$/);
  });
});

describe('help', () => {
  test('--help shows examples for the build and for each command', async () => {
    const main = await oxpack(['--help']);
    expect(main.exitCode).toBe(0);
    expect(main.stdout).toMatch(/Examples:\n\s+\$ oxpack server\.js -o server/);
    expect(main.stdout).toMatch(/--target <target>/);
    expect((await oxpack(['inspect', '--help'])).stdout).toMatch(/Examples:\n\s+\$ oxpack inspect \.\/server/);
    expect((await oxpack(['verify', '--help'])).stdout).toMatch(/Example:\n\s+\$ oxpack verify/);
    expect((await oxpack(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('config files', () => {
  test('oxpack.config.mjs (a function) supplies settings; flags and package.json combine with it', async () => {
    write('data/a.txt', 'from the config file');
    write('oxpack.config.mjs', "export default () => ({ assets: ['data/*.txt'] });\n");
    write('app.js', "console.log(require('fs').readFileSync(require('path').join(__dirname, 'data/a.txt'), 'utf8'));\n");
    const r = await oxpack(['app.js', '-o', 'app.oxres', '--resources-only']);
    expect(r.exitCode).toBe(0);
    expect((await run(process.execPath, [cli, 'run', path.join(dir, 'app.oxres')], { cwd: dir })).stdout).toBe('from the config file');
  });

  test('--config names a JSON file; unknown settings and two config files are errors', async () => {
    write('settings.json', '{ "asets": ["x"] }');
    const typo = await oxpack(['app.js', '-o', 'app', '--config', 'settings.json']);
    expect(typo.exitCode).toBe(1);
    expect(typo.stderr).toMatch(/unknown setting "asets" in .*settings\.json/);
    expect(typo.stderr).toMatch(/hint: did you mean "assets"\?/);
    write('oxpack.config.json', '{}');
    write('oxpack.config.js', 'module.exports = {};');
    const two = await oxpack(['app.js', '-o', 'app']);
    expect(two.exitCode).toBe(1);
    expect(two.stderr).toMatch(/more than one config file .*oxpack\.config\.json, oxpack\.config\.js/);
    const missing = await oxpack(['app.js', '-o', 'app', '--config', 'nope.json']);
    expect(missing.stderr).toMatch(/the config file .*nope\.json does not exist/);
  });
});

describe('inputs that are fine', () => {
  test('a rebuild of an unchanged app injects nothing and leaves the executable as it was', async () => {
    const first = await oxpack(['app.js', '-o', 'app', '--verbose']);
    expect(first.exitCode).toBe(0);
    const before = statSync(path.join(dir, 'app'));
    const second = await oxpack(['app.js', '-o', 'app', '--verbose']);
    expect(second.exitCode).toBe(0);
    expect(second.stderr).toMatch(/✓ inject: the output already holds this build: nothing injected/);
    expect(statSync(path.join(dir, 'app')).mtimeMs).toBe(before.mtimeMs);
    // a change is built again
    write('app.js', "console.log('changed');\n");
    const third = await oxpack(['app.js', '-o', 'app', '--verbose']);
    expect(third.stderr).not.toMatch(/nothing injected/);
    expect((await run(path.join(dir, 'app'), [], { cwd: dir })).stdout).toBe('changed');
  }, 120_000);

  test('the code cache made at the first start keeps virtual file names in stack traces', async () => {
    // big enough to open the cache file (which small modules then use too)
    const padding = `// ${'x'.repeat(40_000)}\n`;
    // a hashbang line and a 'use strict' directive, which must keep their meaning and positions
    write(
      'lib.js',
      `#!/usr/bin/env node\n'use strict';\nexports.where = () => new Error('x').stack.split('\\n')[1].trim();\nexports.strict = (function () { return this === undefined; })();\n${padding}`,
    );
    write('big.js', `module.exports = 1;\n${padding}`);
    write('tiny.js', 'module.exports = 2;\n');
    // only small modules: nothing opens the cache, and nothing is created for it
    write('small.js', "console.log(require('./tiny'));\n");
    expect((await oxpack(['small.js', '-o', 'small.oxres', '--resources-only'])).exitCode).toBe(0);
    const env = cleanEnv({ OXPACK_CACHE_DIR: path.join(dir, 'cache'), OXPACK_DEBUG: 'cache' });
    const small = await run(process.execPath, [cli, 'run', path.join(dir, 'small.oxres')], { cwd: dir, env });
    expect(small.stdout).toBe('2');
    expect(small.stderr).not.toMatch(/wrote/);
    expect(existsSync(path.join(dir, 'cache', 'code'))).toBe(false);

    write(
      'app.js',
      "require('./big'); require('./tiny'); const lib = require('./lib'); console.log(lib.where(), lib.strict, __filename.endsWith('/app.js'));\n",
    );
    expect((await oxpack(['app.js', '-o', 'app.oxres', '--resources-only'])).exitCode).toBe(0);
    const start = () => run(process.execPath, [cli, 'run', path.join(dir, 'app.oxres')], { cwd: dir, env });
    const [first, second, third] = [await start(), await start(), await start()];
    const frame = `at exports.where (${path.join(dir, 'app.oxres', 'app', 'lib.js')}:3:23) true true`;
    for (const r of [first, second, third]) expect(r.stdout).toBe(frame);
    // Node 22+ starts from the build's caches (all four modules), Node 20 from none. The first start
    // only leaves a note (a program started once pays nothing for caches it would never use); the
    // second makes the caches of big.js, lib.js and tiny.js (loaded once big.js had opened the
    // file; not app.js, loaded before), which the third uses.
    const fromBuild = Number.parseInt(process.versions.node, 10) >= 22 ? 1 : 0;
    expect(first.stderr).toMatch(new RegExp(`code cache: ${4 * fromBuild} used, 0 rejected\noxpack:cache first start:`));
    expect(first.stderr).not.toMatch(/wrote/);
    expect(second.stderr).toMatch(new RegExp(`code cache: ${4 * fromBuild} used, 0 rejected\noxpack:cache wrote 3 code caches`));
    expect(third.stderr).toMatch(new RegExp(`code cache: ${3 + fromBuild} used, 0 rejected`));
    expect(third.stderr).not.toMatch(/wrote/);
    // A rebuild at the same place: its first start removes the caches of the executable it replaced.
    write('big.js', `module.exports = 2;\n${padding}`);
    expect((await oxpack(['app.js', '-o', 'app.oxres', '--resources-only'])).exitCode).toBe(0);
    const rebuilt = await start();
    expect(rebuilt.stderr).toMatch(/removed the code caches of a replaced executable[^]*first start:/);
    const locations = readdirSync(path.join(dir, 'cache', 'code'));
    expect(locations).toHaveLength(1);
    expect(readdirSync(path.join(dir, 'cache', 'code', locations[0]!))).toHaveLength(1);
  });

  test('--report writes the build report as JSON; --verbose prints it', async () => {
    write('node_modules/dep/package.json', '{"name":"dep","version":"2.0.0"}');
    write('node_modules/dep/index.js', 'module.exports = 1;');
    write('app.js', "require('dep'); try { require('optional-missing'); } catch {}\n");
    const r = await oxpack(['app.js', '-o', 'app.oxres', '--resources-only', '--report', 'report.json', '--verbose']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/largest packages:\n\s+\d+ B\s+dep@2\.0\.0 \(2 files\)/);
    const report = JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8'));
    expect(report.schema).toBe('oxpack-report/1');
    expect(report.files).toBe(4);
    expect(report.packages).toEqual([{ name: 'dep', version: '2.0.0', path: 'node_modules/dep', files: 2, bytes: expect.any(Number) }]);
    expect(report.unresolved).toEqual([expect.objectContaining({ specifier: 'optional-missing', line: 1 })]);
    expect(Object.keys(report.timings)).toEqual(['target', 'trace', 'collect', 'code-cache', 'serialize', 'inject']);
    expect(report.target.version).toBe(process.version);
  });

  test('fs/promises and worker_threads are patched when the app first gets them, however it names them', async () => {
    const start = (file: string) =>
      run(process.execPath, [cli, 'run', path.join(dir, file)], { cwd: dir, env: cleanEnv({ OXPACK_DEBUG: 'timing' }) });
    const patched = (stderr: string) => [...stderr.matchAll(/oxpack:timing (\S+) patched at/g)].map((m) => m[1]);
    // Not used: neither is loaded nor patched at start.
    write('app.js', "console.log(require('fs').readFileSync(__filename).length > 0);\n");
    expect((await oxpack(['app.js', '-o', 'plain.oxres', '--resources-only'])).exitCode).toBe(0);
    const plain = await start('plain.oxres');
    expect([plain.exitCode, plain.stdout, patched(plain.stderr)]).toEqual([0, 'true', []]);
    // Names built at run time, which no build can see: patched on first use, and packed files read through them.
    write(
      'app.js',
      "const fs = require('fs');\nconst p = fs['prom' + 'ises'];\n" +
        "const wt = process.getBuiltinModule ? process.getBuiltinModule('node:' + 'worker' + '_threads') : require('worker_threads');\n" +
        "p.readFile(__filename).then((b) => console.log('read', b.length > 0, typeof wt.Worker), (e) => console.log(e.code));\n",
    );
    expect((await oxpack(['app.js', '-o', 'computed.oxres', '--resources-only'])).exitCode).toBe(0);
    const computed = await start('computed.oxres');
    expect([computed.exitCode, computed.stdout]).toEqual([0, 'read true function']);
    expect(patched(computed.stderr).sort()).toEqual(['fs/promises', 'worker_threads']);
    // require('node:fs/promises') in a dependency.
    write('node_modules/reader/package.json', '{"name":"reader","version":"1.0.0"}');
    write('node_modules/reader/index.js', "module.exports = (f) => require('node:fs/promises').readFile(f, 'utf8');\n");
    write('app.js', "require('reader')(__filename).then((t) => console.log(t.length > 0));\n");
    expect((await oxpack(['app.js', '-o', 'named.oxres', '--resources-only'])).exitCode).toBe(0);
    const named = await start('named.oxres');
    expect([named.exitCode, named.stdout, patched(named.stderr)]).toEqual([0, 'true', ['fs/promises']]);
  });

  test('the runtime loads no built-in module at start that `node app.js` does not, beyond those it needs', async () => {
    // Each built-in loaded at start costs every start of every app: perf_hooks (behind the global
    // `performance`) about 0.6 ms, the public node:module 0.17 ms, node:os 0.15 ms. What the runtime
    // may add, and why:
    const needed = [
      'Internal Binding sea',
      'NativeModule sea', // reads its assets
      'NativeModule vm', // compiles packed modules with their code caches
      'Internal Binding fs_dir', // the overlay wraps fs.opendir, which Node loads on first read
      'NativeModule internal/fs/dir',
    ];
    write('app.js', 'console.log(JSON.stringify(process.moduleLoadList));\n');
    expect((await oxpack(['app.js', '-o', 'app.oxres', '--resources-only'])).exitCode).toBe(0);
    const packed = await run(process.execPath, [cli, 'run', path.join(dir, 'app.oxres')], { cwd: dir, env: cleanEnv() });
    const plain = await run(process.execPath, ['app.js'], { cwd: dir, env: cleanEnv() });
    expect([packed.exitCode, plain.exitCode]).toEqual([0, 0]);
    const underNode = new Set(JSON.parse(plain.stdout) as string[]);
    const extra = (JSON.parse(packed.stdout) as string[]).filter((m) => !underNode.has(m));
    expect(extra.filter((m) => !needed.includes(m))).toEqual([]);
    expect(extra).toContain('NativeModule vm'); // the comparison sees what the runtime loads
  });

  test('an ES module entry built for a line without in-thread module hooks gets a warning that names the fix', async () => {
    write('app.mjs', "import { sep } from 'node:path';\nconsole.log(sep);\n");
    const warning =
      /warning: app\.mjs: an ES module entry: Node v20\.[\d.]+ loads packed ES modules through a module\.register\(\) hooks thread.*-t node24/;
    const onHost = await oxpack([
      'app.mjs',
      '-o',
      'app.oxres',
      '--resources-only',
      ...(hostLine === 20 ? [] : ['--node', await nodeFor(20)]),
    ]);
    expect(onHost.exitCode).toBe(0);
    expect(onHost.stderr).toMatch(warning);
    const on24 = await oxpack(['app.mjs', '-o', 'app24.oxres', '--resources-only', '--node', await nodeFor(24)]);
    expect(on24.exitCode).toBe(0);
    expect(on24.stderr).not.toMatch(/warning/);
    // A CommonJS entry starts without the hooks thread: no warning either.
    expect((await oxpack(['app.js', '-o', 'app.oxres', '--resources-only'])).stderr).not.toMatch(/warning/);
  });

  test('require() of a packed ES module that imports files gets a warning for Node 20, with the way out; at run time its error says why', async () => {
    // @nestjs/core 12: ES modules only, which Node 20.19+ loads through require(esm), linking their
    // imports with its default resolver whatever the hooks say.
    write('node_modules/esm-only/package.json', '{"name":"esm-only","version":"1.0.0","type":"module","exports":"./index.js"}');
    write('node_modules/esm-only/index.js', "import { v } from './v.js';\nexport const value = v;\n");
    write('node_modules/esm-only/v.js', "export const v = 'from an ES module';\n");
    write('package.json', '{"name":"app","version":"1.0.0","dependencies":{"esm-only":"1.0.0"}}');
    write('app.js', "console.log(require('esm-only').value);\n");
    write('dyn.js', 'console.log(require(process.argv[2]).value);\n');
    const node20 = await nodeFor(20);
    const node24 = await nodeFor(24);
    const on20 = await oxpack(['app.js', '-o', 'app.oxres', '--resources-only', '--node', node20]);
    expect(on20.exitCode).toBe(0);
    expect(on20.stderr).toMatch(
      /warning: app\.js:1:13: require\('esm-only'\) loads an ES module that imports other files: Node v20\.[\d.]+ links the imports of a required ES module with its default resolver, which cannot see packed files, so this require\(\) fails in the executable; build for Node 22\.15 or later \(-t node22 or -t node24\)/,
    );
    // Node 24 requires it through its in-thread hooks.
    const on24 = await oxpack(['app.js', '-o', 'app24.oxres', '--resources-only', '--node', node24]);
    expect([on24.exitCode, on24.stderr]).toEqual([0, expect.not.stringMatching(/warning/)]);
    const ran24 = await run(node24, [cli, 'run', path.join(dir, 'app24.oxres')], { cwd: tmpdir(), env: cleanEnv() });
    expect([ran24.exitCode, ran24.stdout]).toEqual([0, 'from an ES module']);
    // A require() no build can see (the package is declared, so packed): Node's "cannot find" error,
    // which names a packed file that exists, says what happened and what to do.
    expect((await run(node20, [path.join(dir, 'dyn.js'), 'esm-only'], { cwd: dir, env: cleanEnv() })).stdout).toBe('from an ES module');
    const dyn = await oxpack(['dyn.js', '-o', 'dyn.oxres', '--resources-only', '--node', node20]);
    expect([dyn.exitCode, dyn.stderr]).toEqual([0, expect.not.stringMatching(/warning/)]);
    const ran20 = await run(node20, [cli, 'run', path.join(dir, 'dyn.oxres'), 'esm-only'], { cwd: tmpdir(), env: cleanEnv() });
    expect(ran20.exitCode).not.toBe(0);
    expect(ran20.stderr).toMatch(
      /ERR_MODULE_NOT_FOUND.*Cannot find module '.*esm-only[/\\]v\.js' imported from .*esm-only[/\\]index\.js \(in the executable: Node v20\.[\d.]+ links the imports of an ES module loaded by require\(\) with its default resolver.*build for Node 22\.15 or later/,
    );
  }, 120_000);

  test("the app's module.register() loads packed hooks (Sentry's, import-in-the-middle's), which see packed ES modules too, on Node 20 and 24, as under node", async () => {
    // A package's hooks, named by a path built from __dirname, as @sentry/server-runtime-injection does,
    // importing a file beside them; and the app's own, named relative to its URL.
    write('node_modules/tagger/package.json', '{"name":"tagger","version":"1.0.0"}');
    write(
      'node_modules/tagger/index.js',
      "const { register } = require('node:module');\nconst path = require('node:path');\nconst { pathToFileURL } = require('node:url');\n" +
        "module.exports = () => register(pathToFileURL(path.join(__dirname, 'esm', 'hooks.mjs')).href, pathToFileURL(__filename));\n",
    );
    write('node_modules/tagger/esm/word.mjs', "export const word = 'tagged';\n");
    write(
      'node_modules/tagger/esm/hooks.mjs',
      "import { word } from './word.mjs';\nexport async function load(url, context, next) {\n  const r = await next(url, context);\n" +
        "  return url.startsWith('data:') || url.endsWith('/esm.mjs') ? { ...r, source: String(r.source).replace('plain', word) } : r;\n}\n",
    );
    write(
      'hooks/upper.mjs',
      'export async function load(url, context, next) {\n  const r = await next(url, context);\n' +
        "  return url.startsWith('data:') || url.endsWith('/esm.mjs') ? { ...r, source: String(r.source).replace(/'\\w+'/, (w) => w.toUpperCase()) } : r;\n}\n",
    );
    write('package.json', '{"name":"app","version":"1.0.0","dependencies":{"tagger":"1.0.0"}}');
    write(
      'app.js',
      "const { register } = require('node:module');\nconst { pathToFileURL } = require('node:url');\nrequire('tagger')();\n" +
        "register('./hooks/upper.mjs', pathToFileURL(__filename));\n" +
        "import('data:text/javascript,export default \\'plain\\'')\n" +
        '  .then((m) => console.log(m.default))\n' +
        "  .then(() => import('./esm.mjs'))\n" +
        '  .then((m) => console.log(m.default));\n',
    );
    // A packed ES module: under node the app's hooks transform it too.
    write('esm.mjs', "export default 'plain';\n");
    for (const line of [20, 24]) {
      const node = await nodeFor(line);
      const expected = await run(node, [path.join(dir, 'app.js')], { cwd: dir, env: cleanEnv() });
      expect([expected.exitCode, expected.stdout]).toEqual([0, 'TAGGED\nTAGGED']);
      const built = await oxpack(['app.js', '-o', `app${line}.oxres`, '--resources-only', '--node', node]);
      expect(built.stderr).not.toMatch(/warning|error/);
      const ran = await run(node, [cli, 'run', path.join(dir, `app${line}.oxres`)], { cwd: tmpdir(), env: cleanEnv() });
      expect([ran.exitCode, ran.stdout, ran.stderr]).toEqual([0, expected.stdout, '']);
    }
  }, 120_000);

  test("the app's hooks read and require packed files in the hooks thread, as import-in-the-middle does, on Node 20 and 24", async () => {
    write('lib/c.cjs', "module.exports = require('./dep.cjs');\n");
    write('lib/dep.cjs', "module.exports = 'dep';\n");
    // Reads a CommonJS module's source with the thread's fs and resolves what it requires with the
    // thread's CommonJS resolver, as import-in-the-middle does to learn a module's exports.
    write(
      'hooks/inspect.mjs',
      "import { readFileSync } from 'node:fs';\nimport { createRequire } from 'node:module';\nimport path from 'node:path';\nimport { fileURLToPath } from 'node:url';\n" +
        'export async function load(url, context, next) {\n' +
        "  if (!url.endsWith('/lib/c.cjs')) return next(url, context);\n" +
        "  const file = fileURLToPath(url);\n  const source = readFileSync(file, 'utf8');\n" +
        "  const dep = createRequire(file).resolve('./dep.cjs', { paths: [path.dirname(file)] });\n" +
        "  return { format: 'module', shortCircuit: true, source: `export default ${JSON.stringify(`${source.length} ${path.basename(dep)}`)};` };\n}\n",
    );
    write(
      'app.mjs',
      "import { register } from 'node:module';\nregister('./hooks/inspect.mjs', import.meta.url);\nconsole.log((await import('./lib/c.cjs')).default);\n",
    );
    for (const line of [20, 24]) {
      const node = await nodeFor(line);
      const expected = await run(node, [path.join(dir, 'app.mjs')], { cwd: dir, env: cleanEnv() });
      expect([expected.exitCode, expected.stdout]).toEqual([0, '39 dep.cjs']);
      expect((await oxpack(['app.mjs', '-o', `app${line}.oxres`, '--resources-only', '--node', node])).exitCode).toBe(0);
      const ran = await run(node, [cli, 'run', path.join(dir, `app${line}.oxres`)], { cwd: tmpdir(), env: cleanEnv() });
      expect([ran.exitCode, ran.stdout, ran.stderr]).toEqual([0, expected.stdout, '']);
    }
  }, 120_000);

  test('stack traces are mapped through the source maps a compiler wrote beside the files, on Node 20 and 24, as under node', async () => {
    // tsc --sourceMap output: dist/lib.js ending in a sourceMappingURL comment, dist/lib.js.map beside it.
    const ts = (await import('typescript')).default;
    // A CommonJS module and an ES module, each with its map beside it, naming its source in ../src.
    for (const [out, kind] of [
      ['lib.js', ts.ModuleKind.CommonJS],
      ['lib.mjs', ts.ModuleKind.ES2020],
    ] as const) {
      const compiled = ts.transpileModule(
        "type N = number;\nfunction fail(n: N): never {\n  throw new Error('boom ' + n);\n}\nexport function run(): void {\n  fail(1);\n}\n",
        { compilerOptions: { module: kind, target: ts.ScriptTarget.ES2020, sourceMap: true }, fileName: 'lib.ts' },
      );
      write(`dist/${out}`, compiled.outputText.replace(/\/\/# sourceMappingURL=.*$/m, `//# sourceMappingURL=${out}.map`));
      const map = JSON.parse(compiled.sourceMapText!) as { sources: string[] };
      map.sources = ['../src/lib.ts'];
      write(`dist/${out}.map`, JSON.stringify(map));
    }
    write(
      'dist/main.js',
      "process.setSourceMapsEnabled(process.argv[2] === 'mapped');\n" +
        "const frames = (e) => e.stack.split('\\n').slice(1, 3).map((l) => l.trim()).join('\\n');\n" +
        "try { require('./lib').run(); } catch (e) { console.log(frames(e)); }\n" +
        "import('./lib.mjs').then((m) => m.run()).catch((e) => console.log(frames(e)));\n",
    );
    for (const line of [20, 24]) {
      const node = await nodeFor(line);
      expect((await oxpack(['dist/main.js', '-o', `app${line}.oxres`, '--resources-only', '--node', node])).exitCode).toBe(0);
      for (const mode of ['mapped', 'plain']) {
        const expected = await run(node, [path.join(dir, 'dist', 'main.js'), mode], { cwd: dir, env: cleanEnv() });
        expect(expected.stdout.match(/at fail \(\S+\)/g)!.map((f) => f.replace(/.*[/\\]/, ''))).toEqual(
          mode === 'mapped' ? ['lib.ts:3:9)', 'lib.ts:3:9)'] : [expect.stringMatching(/^lib\.js:/), expect.stringMatching(/^lib\.mjs:/)],
        );
        const ran = await run(node, [cli, 'run', path.join(dir, `app${line}.oxres`), mode], { cwd: tmpdir(), env: cleanEnv() });
        // The same frames, at the packed paths (<resources>/app/...) instead of the project's.
        const relative = (out: string, base: string) => out.split(base).join('<app>');
        expect(relative(ran.stdout, path.join(dir, `app${line}.oxres`, 'app'))).toBe(relative(expected.stdout, dir));
      }
    }
  }, 120_000);

  test('commands an oclif app lists from the folder its package.json names, and models a module lists from its own folder, are packed', async () => {
    // As @oclif/core does: read "oclif.commands" from the app's package.json, list that folder, load each.
    write('package.json', '{"name":"app","version":"1.0.0","oclif":{"commands":"./src/commands"}}');
    write('src/commands/hello.js', "module.exports = () => 'hello';\n");
    write('src/commands/bye.js', "module.exports = () => 'bye';\n");
    // As Sequelize's generated models/index.js does: list its own folder.
    write(
      'models/index.js',
      "const fs = require('node:fs');\nconst path = require('node:path');\n" +
        "module.exports = fs.readdirSync(__dirname).filter((f) => f !== 'index.js').sort().map((f) => require(path.join(__dirname, f)).name);\n",
    );
    write('models/user.js', "exports.name = 'User';\n");
    write('models/post.js', "exports.name = 'Post';\n");
    write(
      'app.js',
      "const fs = require('node:fs');\nconst path = require('node:path');\n" +
        "const { oclif } = JSON.parse(fs.readFileSync(path.join(__dirname, 'package.json'), 'utf8'));\n" +
        'const folder = path.join(__dirname, oclif.commands);\n' +
        "console.log(fs.readdirSync(folder).sort().map((f) => require(path.join(folder, f))()).join(' '), require('./models').join(' '));\n",
    );
    const expected = await run(process.execPath, [path.join(dir, 'app.js')], { cwd: dir, env: cleanEnv() });
    expect([expected.exitCode, expected.stdout]).toEqual([0, 'bye hello Post User']);
    const built = await oxpack(['app.js', '-o', 'app.oxres', '--resources-only']);
    expect([built.exitCode, built.stderr]).toEqual([0, expect.not.stringMatching(/warning/)]);
    rmSync(path.join(dir, 'src'), { recursive: true });
    rmSync(path.join(dir, 'models'), { recursive: true });
    const ran = await run(process.execPath, [cli, 'run', path.join(dir, 'app.oxres')], { cwd: tmpdir(), env: cleanEnv() });
    expect([ran.exitCode, ran.stdout, ran.stderr]).toEqual([0, expected.stdout, '']);
  });

  test('a node_modules folder that is a symbolic link to another folder is kept as a link', async () => {
    // deps/node_modules/lib, reached through app/node_modules -> ../deps/node_modules
    write('deps/node_modules/lib/package.json', '{"name":"lib","version":"1.0.0"}');
    write('deps/node_modules/lib/index.js', "module.exports = 'lib through a linked node_modules';\n");
    mkdirSync(path.join(dir, 'app'));
    symlinkSync('../deps/node_modules', path.join(dir, 'app', 'node_modules'));
    write('app/package.json', '{"name":"app","version":"1.0.0","dependencies":{"lib":"1.0.0"}}');
    write('app/main.js', "console.log(require('lib'));\n");
    const built = await oxpack(['main.js', '-o', '../linked.oxres', '--resources-only'], path.join(dir, 'app'));
    expect([built.exitCode, built.stderr]).toEqual([0, expect.not.stringMatching(/warning/)]);
    const ran = await run(process.execPath, [cli, 'run', path.join(dir, 'linked.oxres')], { cwd: tmpdir(), env: cleanEnv() });
    expect([ran.exitCode, ran.stdout, ran.stderr]).toEqual([0, 'lib through a linked node_modules', '']);
  });

  test("a packed CLI loads the user's project: its packages (require.resolve with paths, createRequire) and config files", async () => {
    const project = path.join(dir, 'project');
    mkdirSync(path.join(project, 'node_modules', 'shared'), { recursive: true });
    writeFileSync(path.join(project, 'node_modules', 'shared', 'package.json'), '{"name":"shared","version":"2.0.0"}');
    writeFileSync(path.join(project, 'node_modules', 'shared', 'index.js'), "module.exports = 'the project\\'s shared 2';\n");
    writeFileSync(path.join(project, 'tool.config.mjs'), "import shared from 'shared';\nexport default { from: shared };\n");
    // The CLI packs a shared 1 of its own, and must not take it for the project's.
    write('node_modules/shared/package.json', '{"name":"shared","version":"1.0.0"}');
    write('node_modules/shared/index.js', "module.exports = 'the CLI\\'s shared 1';\n");
    write(
      'app.js',
      "const path = require('node:path');\nconst { createRequire } = require('node:module');\nconst { pathToFileURL } = require('node:url');\n" +
        "const cwd = process.cwd();\nconsole.log(require('shared'));\n" +
        "console.log(require(require.resolve('shared', { paths: [cwd] })));\n" +
        "console.log(createRequire(path.join(cwd, 'x.js'))('shared'));\n" +
        "import(pathToFileURL(path.join(cwd, 'tool.config.mjs')).href).then((m) => console.log(m.default.from));\n",
    );
    const expected = await run(process.execPath, [path.join(dir, 'app.js')], { cwd: project, env: cleanEnv() });
    expect([expected.exitCode, expected.stdout]).toEqual([
      0,
      "the CLI's shared 1\nthe project's shared 2\nthe project's shared 2\nthe project's shared 2",
    ]);
    const built = await oxpack(['app.js', '-o', 'app.oxres', '--resources-only']);
    expect([built.exitCode, built.stderr]).toEqual([0, expect.not.stringMatching(/warning|error/)]);
    const ran = await run(process.execPath, [cli, 'run', path.join(dir, 'app.oxres')], { cwd: project, env: cleanEnv() });
    expect([ran.exitCode, ran.stdout, ran.stderr]).toEqual([0, expected.stdout, '']);
  });

  test('an entry without an extension (a bin script) runs as node runs it', async () => {
    write('package.json', '{"name":"app","version":"1.0.0","type":"module"}');
    write('lib/x.js', "export const x = 'an ES module bin';\n");
    write('bin/tool', "#!/usr/bin/env node\nimport { x } from '../lib/x.js';\nconsole.log(x, import.meta.url.endsWith('/bin/tool'));\n");
    const r = await oxpack(['bin/tool', '-o', 'tool.oxres', '--resources-only']);
    expect(r.stderr).not.toMatch(/error/);
    // Packed as the ES module it is (on Node 20 the build says what such an entry costs there).
    if (hostLine === 20) expect(r.stderr).toMatch(/warning: bin\/tool: an ES module entry/);
    expect(r.exitCode).toBe(0);
    const node = await run(process.execPath, [path.join(dir, 'bin', 'tool')], { cwd: dir });
    expect([node.exitCode, node.stdout]).toEqual([0, 'an ES module bin true']);
    const ran = await run(process.execPath, [cli, 'run', path.join(dir, 'tool.oxres')], { cwd: dir });
    expect([ran.exitCode, ran.stdout]).toEqual([0, node.stdout]);
  });

  test('a dependency that Node 26 loads as an ES module where it is CommonJS gets a warning, shown although it is in a package', async () => {
    // As yargs 17's yargs/yargs: CommonJS without an extension in a "type": "module" package.
    write('node_modules/typed/package.json', '{"name":"typed","version":"1.0.0","type":"module","exports":{"./cjs":"./cjs"}}');
    write('node_modules/typed/cjs', 'module.exports = 1;\n');
    write('app.js', "console.log(require('typed/cjs'));\n");
    const warning =
      /warning: node_modules\/typed\/cjs: CommonJS without a file extension in a "type": "module" package: Node v26\.\d+\.\d+ loads it as an ES module/;
    const on26 = await oxpack(['app.js', '-o', 'app26.oxres', '--resources-only', '--node', await nodeFor(26)]);
    expect(on26.exitCode).toBe(0);
    expect(on26.stderr).toMatch(warning);
    const on24 = await oxpack(['app.js', '-o', 'app24.oxres', '--resources-only', '--node', await nodeFor(24)]);
    expect(on24.exitCode).toBe(0);
    expect(on24.stderr).not.toMatch(/warning/);
  }, 120_000);

  test("punycode required by a dependency prints no deprecation warning on Node 24, as under node; required by the app's own code it does", async () => {
    write('node_modules/uses-punycode/package.json', '{"name":"uses-punycode","version":"1.0.0"}');
    write('node_modules/uses-punycode/index.js', "module.exports = require('punycode').toASCII('mañana.com');\n");
    // through the runtime's process.getBuiltinModule wrapper, whose frame must not count as the caller's
    write('node_modules/uses-punycode/builtin.js', "module.exports = process.getBuiltinModule('punycode').toASCII('mañana.com');\n");
    write(
      'app.js',
      "const how = process.argv[2];\nconsole.log(how === 'own' ? require('punycode').toASCII('mañana.com') : how === 'builtin' ? require('uses-punycode/builtin.js') : require('uses-punycode'));\n",
    );
    const node24 = await nodeFor(24);
    const r = await oxpack(['app.js', '-o', 'app', '--node', node24]);
    expect(r.exitCode).toBe(0);
    for (const args of [[], ['builtin'], ['own']]) {
      const expected = await run(node24, [path.join(dir, 'app.js'), ...args], { cwd: dir, env: cleanEnv() });
      const actual = await run(path.join(dir, 'app'), args, { cwd: tmpdir(), env: cleanEnv() });
      expect(actual.stdout).toBe('xn--maana-pta.com');
      expect([actual.exitCode, actual.stdout]).toEqual([expected.exitCode, expected.stdout]);
      const warned = (stderr: string) => /DEP0040/.test(stderr);
      expect(warned(actual.stderr)).toBe(warned(expected.stderr));
      expect(warned(expected.stderr)).toBe(args[0] === 'own');
    }
  }, 120_000);

  test('a lone script with no package.json anywhere above it builds and runs', async () => {
    rmSync(path.join(dir, 'package.json'));
    const r = await oxpack(['app.js', '-o', 'app.oxres', '--resources-only']);
    expect(r.stderr).toMatch(/^built resources file app\.oxres/m);
    expect(r.stderr).not.toMatch(/error|warning/);
    expect(r.exitCode).toBe(0);
    const ran = await run(process.execPath, [cli, 'run', path.join(dir, 'app.oxres')], { cwd: dir });
    expect([ran.exitCode, ran.stdout]).toEqual([0, 'hi']);
  });
});
