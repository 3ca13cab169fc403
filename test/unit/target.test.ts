import { describe, expect, test } from '@jest/globals';
import NodeModule from 'node:module';
import { hasRegisterHooks } from '../../src/builtins.js';
import { OxpackError } from '../../src/errors.js';
import { parseTargetSpec } from '../../src/build/target-spec.js';
import { injectionError } from '../../src/build/sea.js';
import { hostTarget } from '../../src/build/target.js';

describe('parseTargetSpec', () => {
  test('a line, a version, a platform', () => {
    expect(parseTargetSpec('node24')).toEqual({ version: '24', os: 'linux', arch: 'x64' });
    expect(parseTargetSpec('node22.15')).toEqual({ version: '22.15', os: 'linux', arch: 'x64' });
    expect(parseTargetSpec('node22.15.0-linux-x64')).toEqual({ version: '22.15.0', os: 'linux', arch: 'x64' });
    expect(parseTargetSpec('node26-win-x64')).toEqual({ version: '26', os: 'win', arch: 'x64' });
    expect(parseTargetSpec('node24-darwin-x64')).toEqual({ version: '24', os: 'darwin', arch: 'x64' });
    expect(parseTargetSpec('node24-macos-arm64')).toEqual({ version: '24', os: 'darwin', arch: 'arm64' });
    expect(parseTargetSpec('Node24-Windows-AMD64')).toEqual({ version: '24', os: 'win', arch: 'x64' });
  });

  const refusal = (text: string): OxpackError => {
    try {
      parseTargetSpec(text);
    } catch (err) {
      return err as OxpackError;
    }
    throw new Error(`${text} was accepted`);
  };

  test('malformed targets say what the form is', () => {
    for (const bad of ['24', 'node', 'node24-linux', 'node24.1.2.3', 'nodejs24', 'node24-linux-x64-extra']) {
      const err = refusal(bad);
      expect(err).toBeInstanceOf(OxpackError);
      expect(err.message).toContain(`cannot read the target "${bad}"`);
      expect(err.hint).toMatch(/node<major>\[\.<minor>\.<patch>\]\[-<os>-<arch>\]/);
    }
  });

  test('unknown platforms and old lines are refused by name', () => {
    expect(refusal('node24-beos-x64').message).toContain('unknown operating system "beos"');
    expect(refusal('node24-linux-mips').message).toContain('unknown architecture "mips"');
    for (const old of ['node18', 'node20.11', 'node20.11.1', 'node16-win-x64']) {
      expect(refusal(old).message).toMatch(/is too old: oxpack needs Node 20\.12 or later/);
    }
    expect(parseTargetSpec('node20.12.0').version).toBe('20.12.0');
    expect(parseTargetSpec('node20').version).toBe('20');
  });
});

describe('hasRegisterHooks', () => {
  test('module.registerHooks arrived in 22.15 and 23.5', () => {
    const versions = ['v20.20.2', 'v22.14.0', 'v22.15.0', 'v23.4.0', 'v23.5.0', 'v24.0.0', '26.1.0'];
    expect(versions.map((v) => hasRegisterHooks(v))).toEqual([false, false, true, false, true, true, true]);
  });

  test('matches the Node running the tests', () => {
    const api = typeof (NodeModule as { registerHooks?: unknown }).registerHooks === 'function';
    expect(hasRegisterHooks()).toBe(api);
  });
});

describe('injection errors', () => {
  const target = hostTarget();

  test("postject's abort on a blob too large for its memory says so, with the ways to a smaller one", () => {
    const err = injectionError(new Error('Aborted(). Build with -sASSERTIONS for more info.'), 331_000_000, target);
    expect(err.code).toBe('OXPACK_INJECT');
    expect(err.message).toBe(
      'could not inject 331.0 MB of packed resources into the Node binary: postject, which does it, ran out of memory (it aborts near 300 MB)',
    );
    expect(err.hint).toMatch(/--exclude .*--compress brotli.*-t node26/);
  });

  test("other failures keep postject's words", () => {
    const err = injectionError(new Error('Could not find the sentinel NODE_SEA_FUSE in the binary'), 1000, target);
    expect(err.message).toBe(
      'could not inject the application into the Node binary: Could not find the sentinel NODE_SEA_FUSE in the binary',
    );
    expect(err.hint).toContain('does not look like an official Node build');
  });
});
