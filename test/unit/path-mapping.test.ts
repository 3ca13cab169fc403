/**
 * The mapping from absolute paths to packed names, fuzzed with seeded random paths: a path names a
 * packed entry exactly when, resolved, it lies under the virtual root, and then by its relative path.
 * A path that climbs out with `..` is a real path, never another packed file.
 */
import { describe, expect, test } from '@jest/globals';
import path from 'node:path';
import { VirtualRoot } from '../../src/runtime/virtual-root.js';
import { prng } from '../support/prng.js';

const SEGMENTS = ['app', '..', '.', '', 'a', 'b', 'node_modules', 'tool', 'app2', 'ap', 'x y', 'ü', 'app.', '...'];
const root = new VirtualRoot('/opt/bin/tool/app');

/** The reference answer, from path.posix alone. */
function expected(p: string): string | undefined {
  const resolved = path.posix.resolve(p);
  if (resolved === root.path) return '';
  return resolved.startsWith(`${root.path}/`) ? resolved.slice(root.path.length + 1) : undefined;
}

describe('VirtualRoot.nameOf', () => {
  // Inputs that ever disagreed, kept as regressions.
  test.each([
    ['/opt/bin/tool/app', ''],
    ['/opt/bin/tool/app/', ''],
    ['/opt/bin/tool/app/a/../b', 'b'],
    ['/opt/bin/tool/app/../app/a', 'a'],
    ['/opt/bin/tool/app/..', undefined],
    ['/opt/bin/tool/app/../../tool/app/a', 'a'],
    ['/opt/bin/tool/app2/a', undefined],
    ['/opt/bin/tool/ap', undefined],
    ['/opt/bin/tool/app//a//b/', 'a/b'],
    ['/opt/bin/tool/app/./a/.', 'a'],
  ])('%s -> %s', (p, name) => {
    expect(root.nameOf(p)).toBe(name);
    expect(expected(p)).toBe(name);
  });

  test.each([1, 2, 3, 4, 5, 6, 7, 8])('agrees with path.resolve on 2000 random paths (seed %i)', (seed) => {
    const random = prng(seed);
    for (let n = 0; n < 2000; n++) {
      const parts = Array.from({ length: 1 + Math.floor(random() * 8) }, () => SEGMENTS[Math.floor(random() * SEGMENTS.length)]);
      const start = random() < 0.8 ? root.path : random() < 0.5 ? '/opt/bin/tool' : '/';
      const p = `${start}/${parts.join('/')}`;
      const name = root.nameOf(p);
      if (name !== expected(p)) throw new Error(`seed ${seed}, case ${n}: nameOf(${JSON.stringify(p)}) = ${name}, expected ${expected(p)}`);
      if (name !== undefined) expect(root.pathOf(name)).toBe(path.posix.resolve(p));
    }
  });
});

describe('VirtualRoot.besideRoot', () => {
  // What code walking up from a packed file asks for inside the container, where nothing is.
  const mounted = VirtualRoot.forContainer('/opt/bin/tool');

  test.each([
    ['/opt/bin/tool/package.json', true],
    ['/opt/bin/tool/.git', true],
    ['/opt/bin/tool/app/../.myclirc', true],
    ['/opt/bin/tool/app2/x', true],
    ['/opt/bin/tool', false], // the container itself is the real file
    ['/opt/bin/tool/app', false],
    ['/opt/bin/tool/app/package.json', false],
    ['/opt/bin/tool/../package.json', false],
    ['/opt/bin/toolbox/package.json', false],
    ['/opt/bin/package.json', false],
  ])('%s -> %s', (p, beside) => {
    expect(mounted.besideRoot(p)).toBe(beside);
  });

  test('agrees with path.resolve on 2000 random paths: inside the container, outside the root', () => {
    const random = prng(9);
    for (let n = 0; n < 2000; n++) {
      const parts = Array.from({ length: 1 + Math.floor(random() * 6) }, () => SEGMENTS[Math.floor(random() * SEGMENTS.length)]);
      const p = `${random() < 0.5 ? '/opt/bin/tool' : mounted.path}/${parts.join('/')}`;
      const resolved = path.posix.resolve(p);
      const want = resolved.startsWith('/opt/bin/tool/') && expected(p) === undefined;
      if (mounted.besideRoot(p) !== want) throw new Error(`besideRoot(${JSON.stringify(p)}) should be ${want}`);
    }
  });

  test('a root given as a path, not mounted in a container file, has nothing beside it', () => {
    expect(root.besideRoot('/opt/bin/tool/package.json')).toBe(false);
  });
});
