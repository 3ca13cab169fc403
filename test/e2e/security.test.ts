/**
 * Safe by default at run time: the executable checks its packed resources at every start and never
 * runs half a program; NODE_OPTIONS cannot load code into it or open it to a debugger unless its author
 * allowed it; `oxpack verify` checks everything.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { locateBlob } from '../../src/format/locate.js';
import { H_INDEX_END, MAGIC } from '../../src/format/layout.js';
import { cleanEnv, cli, run } from '../support/harness.js';

const TIMEOUT = 600_000;
let dir: string;
const build = (args: string[]) => run(process.execPath, [cli, 'app.js', ...args], { cwd: dir, timeout: 300_000 });
const start = (exe: string, env: Record<string, string> = {}) => run(path.join(dir, exe), [], { cwd: tmpdir(), env: cleanEnv(env) });

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'oxpack-security-'));
  writeFileSync(path.join(dir, 'package.json'), '{"name":"app","version":"1.0.0"}');
  writeFileSync(path.join(dir, 'app.js'), "console.log('app ran', typeof globalThis.INJECTED, require('./data.json').answer);\n");
  writeFileSync(path.join(dir, 'data.json'), JSON.stringify({ answer: 42, padding: 'x'.repeat(4000) }));
  writeFileSync(path.join(dir, 'inject.js'), 'globalThis.INJECTED = true;\n');
  for (const args of [
    ['-o', 'plain'],
    ['-o', 'open', '--allow-node-options', '--verify-data'],
    ['-o', 'new', '--target', 'node24'],
  ]) {
    const r = await build(args);
    if (r.exitCode !== 0) throw new Error(r.stderr);
  }
}, TIMEOUT);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('NODE_OPTIONS', () => {
  const inject = () => ({ NODE_OPTIONS: `--require ${path.join(dir, 'inject.js')}` });

  test('on Node 20, flags that load code make the executable refuse to start', async () => {
    const r = await start('plain', inject());
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^plain: refusing to start: NODE_OPTIONS holds --require/);
    const viaImport = await start('plain', { NODE_OPTIONS: `--import ${pathToFileURL(path.join(dir, 'inject.js')).href}` });
    expect([viaImport.exitCode, viaImport.stdout]).toEqual([1, '']);
    expect(viaImport.stderr).toMatch(/NODE_OPTIONS holds --import/);
  });

  test('harmless options still work, and no options at all', async () => {
    const harmless = await start('plain', { NODE_OPTIONS: '--no-deprecation --trace-uncaught' });
    expect([harmless.exitCode, harmless.stdout, harmless.stderr]).toEqual([0, 'app ran undefined 42', '']);
    expect((await start('plain')).stdout).toBe('app ran undefined 42');
  });

  test('on lines that can ignore NODE_OPTIONS, it is ignored: the app runs, the injected code does not', async () => {
    const r = await start('new', inject());
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('app ran undefined 42');
  });

  test('an author who opted in gets NODE_OPTIONS applied', async () => {
    const r = await start('open', inject());
    expect(r.stdout).toBe('app ran boolean 42');
  });
});

describe('integrity', () => {
  /**
   * A copy of an executable with one byte flipped: of its packed index, of its packed data, or of the
   * copy of the index it carries beside them (format/index-copy.ts).
   */
  const tampered = (exe: string, name: string, where: 'index' | 'data' | 'index copy'): string => {
    const bytes = readFileSync(path.join(dir, exe));
    const { offset } = locateBlob(bytes);
    const indexEnd = bytes.readUInt32LE(offset + H_INDEX_END);
    let at = where === 'index' ? offset + indexEnd - 8 : offset + indexEnd + 64;
    if (where === 'index copy') {
      const index = bytes.subarray(offset + MAGIC.length, offset + indexEnd);
      let copy = bytes.indexOf(index);
      if (copy === offset + MAGIC.length) copy = bytes.indexOf(index, copy + 1);
      expect(copy).toBeGreaterThan(-1);
      at = copy + index.length - 8;
    }
    bytes[at] ^= 0x20;
    writeFileSync(path.join(dir, name), bytes, { mode: 0o755 });
    return name;
  };

  test('a tampered index stops the executable with a clear message before any app code runs', async () => {
    const r = await start(tampered('plain', 'bad-index', 'index'));
    expect(r.exitCode).toBe(70);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^bad-index: the application packed in this executable is damaged: index checksum mismatch/);
  });

  test('an intact start compares the index with its copy; a damaged copy alone leaves the checksum to decide', async () => {
    const intact = await start('plain', { OXPACK_DEBUG: 'timing' });
    expect(intact.stdout).toBe('app ran undefined 42');
    expect(intact.stderr).toMatch(/indexed at [\d.]+ ms \(the index equals its copy\)/);
    const r = await start(tampered('plain', 'bad-copy', 'index copy'), { OXPACK_DEBUG: 'timing' });
    expect([r.exitCode, r.stdout]).toEqual([0, 'app ran undefined 42']);
    expect(r.stderr).toMatch(/indexed at [\d.]+ ms \(the index checksum matches\)/);
  });

  test('tampered data: caught at start with --verify-data, and always by oxpack verify', async () => {
    const checked = await start(tampered('open', 'bad-data-checked', 'data'));
    expect(checked.exitCode).toBe(70);
    expect(checked.stderr).toMatch(/damaged: data hash mismatch/);
    const name = tampered('plain', 'bad-data', 'data');
    const verify = await run(process.execPath, [cli, 'verify', name], { cwd: dir });
    expect(verify.exitCode).toBe(1);
    expect(verify.stderr).toMatch(/bad-data is damaged: data hash mismatch/);
    const good = await run(process.execPath, [cli, 'verify', 'plain'], { cwd: dir });
    expect(good.exitCode).toBe(0);
    expect(good.stdout).toMatch(/^ok plain: \d+ entries/);
  });

  test('a truncated executable does not run half a program', async () => {
    const bytes = readFileSync(path.join(dir, 'plain'));
    const { offset } = locateBlob(bytes);
    writeFileSync(path.join(dir, 'cut'), bytes.subarray(0, offset + 200), { mode: 0o755 });
    const r = await start('cut');
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout).toBe('');
  });
});
