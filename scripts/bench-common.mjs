// What scripts/bench.mjs and scripts/snapshot-floor.mjs share: the environment measured processes get,
// the Node binary of a line, fixture installs, medians, and the client of scripts/bench-runner.mjs.
import { execFileSync, fork } from 'node:child_process';
import { cpSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * The environment of every measured process: NODE_EXTRA_CA_CERTS alone adds about 50 ms to each Node 20
 * start on this kind of machine, packed or not, and would hide the difference being measured.
 */
export const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;
delete env.NODE_OPTIONS;

/** The Node binary of `line` (a major version, from the npm registry, cached), or the one running this. */
export async function nodeBinary(line) {
  if (!line) return process.execPath;
  const { fetchNode } = await import(path.join(root, 'dist', 'build', 'node-binaries.js'));
  return (await fetchNode({ version: line, os: 'linux', arch: 'x64' })).binary;
}

/** test/fixtures/<fixture> copied to `dest` and installed from its lockfile. */
export function installFixture(fixture, dest) {
  cpSync(path.join(root, 'test', 'fixtures', fixture), dest, { recursive: true, verbatimSymlinks: true });
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd: dest, env, stdio: 'inherit' });
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Starts, timed by the runner (scripts/bench-runner.mjs): `once` resolves with wall time in ms (until
 * exit, or until the server's ready line) and peak RSS in kB. A server is stopped when ready, or
 * `lingerMs` later (a warm-up start that lives as a server does). The runner is a small process of its
 * own: started from the bench, grown large by the builds, every start took about 15 ms longer (the
 * TypeScript compiler's `--version`: 66 ms packed and 134 ms under node, against 51 and 110 ms from the
 * runner). Started on the first call; `kill` ends it.
 */
export function runnerClient() {
  let runner;
  let nextId = 0;
  const waiting = new Map();
  const once = (file, argv, cwd, server, lingerMs = 0) => {
    if (!runner) {
      runner = fork(path.join(root, 'scripts', 'bench-runner.mjs'), [], { execArgv: [], env });
      runner.on('message', ({ id, error, ...result }) => {
        const { resolve, reject } = waiting.get(id);
        waiting.delete(id);
        if (error) reject(new Error(error));
        else resolve(result);
      });
    }
    const id = nextId++;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      runner.send({ id, file, argv, cwd, server: server?.source, lingerMs });
    });
  };
  return { once, kill: () => runner?.kill() };
}
