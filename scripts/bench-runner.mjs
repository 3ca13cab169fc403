// The process that starts and times the programs scripts/bench.mjs measures: one start per message
// ({ id, file, argv, cwd, server, lingerMs }), answered with { id, ms, rss } (peak RSS in kB, from
// /usr/bin/time where there is one) or { id, error }. It stays small, so that starting a program
// costs the same for every start (a large parent makes each one slower).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const hasTime = existsSync('/usr/bin/time');

function once(file, argv, cwd, serverSource, lingerMs) {
  if (serverSource) {
    const server = new RegExp(serverSource);
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const child = spawn(file, argv, { cwd, env: { ...process.env, PORT: '0' } });
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += chunk;
        if (server.test(out)) {
          const ms = performance.now() - started;
          const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
          const rss = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
          setTimeout(() => {
            child.kill();
            resolve({ ms, rss });
          }, lingerMs);
        }
      });
      child.on('error', reject);
      setTimeout(() => reject(new Error(`${file} did not get ready: ${out}`)), 30_000).unref();
    });
  }
  const started = performance.now();
  const r = hasTime
    ? spawnSync('/usr/bin/time', ['-f', '%M', file, ...argv], { cwd, encoding: 'utf8' })
    : spawnSync(file, argv, { cwd, encoding: 'utf8' });
  const ms = performance.now() - started;
  const rss = hasTime ? Number(r.stderr.trim().split('\n').pop()) : 0;
  return Promise.resolve({ ms, rss });
}

process.on('message', async ({ id, file, argv, cwd, server, lingerMs }) => {
  try {
    process.send({ id, ...(await once(file, argv, cwd, server, lingerMs)) });
  } catch (err) {
    process.send({ id, error: err.message });
  }
});
