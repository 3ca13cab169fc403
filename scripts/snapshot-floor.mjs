#!/usr/bin/env node
// How fast a command-line app could start if loading its code cost nothing: the yargs 17 fixture is
// bundled (esbuild) into a V8 startup snapshot taken after every module has loaded (`node
// --build-snapshot`), so that a start from it only deserializes that heap and runs the command. It is
// timed side by side with `node cli.js`, the packed executable, and `node hello.js`, interleaved,
// medians, NODE_EXTRA_CA_CERTS unset (see bench.mjs).
//
//   node scripts/snapshot-floor.mjs [--runs 21] [--node <major>]
//
// What it says: the share of `node cli.js` that is the app's own run plus Node's start, which no way
// of packing its code can remove (docs/benchmarks.md, issue 7's yargs goal).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { env, installFixture, median, nodeBinary, root, runnerClient } from './bench-common.mjs';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 21;
const line = args.includes('--node') ? args[args.indexOf('--node') + 1] : undefined;
const nodeBin = await nodeBinary(line);
const nodeVersion = execFileSync(nodeBin, ['--version'], { encoding: 'utf8' }).trim();

// The fixture's cli.js, with its command built after the snapshot is deserialized (process.argv is
// the start's own then).
const SNAPSHOT_ENTRY = `const yargs = require('yargs/yargs');
const { hideBin } = require('yargs/helpers');
require('node:v8').startupSnapshot.setDeserializeMainFunction(() =>
  yargs(hideBin(process.argv))
    .scriptName('greet')
    .command('hello [name]', 'say hello', (y) => y.positional('name', { type: 'string', default: 'world' }).option('times', { alias: 't', type: 'number', default: 1 }),
      (argv) => { for (let i = 0; i < argv.times; i++) console.log(\`hello \${argv.name}\`); })
    .command('fail', 'exit with 4', () => {}, () => { console.error('failing'); process.exit(4); })
    .demandCommand(1)
    .strict()
    .help()
    .parse());
`;

const work = mkdtempSync(path.join(tmpdir(), 'oxpack-floor-'));
const runner = runnerClient();
try {
  const src = path.join(work, 'yargs-cli');
  installFixture('yargs-cli', src);
  writeFileSync(path.join(src, 'snapshot-entry.js'), SNAPSHOT_ENTRY);
  writeFileSync(path.join(src, 'hello.js'), "console.log('hello');\n");
  const { build: bundle } = await import('esbuild');
  await bundle({
    entryPoints: [path.join(src, 'snapshot-entry.js')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile: path.join(work, 'bundle.js'),
    logLevel: 'silent',
  });
  const blob = path.join(work, 'snapshot.blob');
  execFileSync(nodeBin, ['--snapshot-blob', blob, '--build-snapshot', path.join(work, 'bundle.js')], { cwd: work, env, stdio: 'inherit' });
  const exe = path.join(work, 'yargs-cli.exe');
  const { build } = await import(path.join(root, 'dist', 'index.js'));
  await build({ entry: 'cli.js', output: exe, cwd: src, ...(line ? { node: nodeBin } : {}) });

  const variants = [
    { label: '`node cli.js hello bob`', file: nodeBin, argv: ['cli.js', 'hello', 'bob'] },
    { label: 'packed (oxpack)', file: exe, argv: ['hello', 'bob'] },
    // argv[1] is the script's place; hideBin drops it as it drops cli.js
    {
      label: 'V8 snapshot of the loaded app (`node --snapshot-blob`)',
      file: nodeBin,
      argv: ['--snapshot-blob', blob, 'cli', 'hello', 'bob'],
    },
    { label: '`node hello.js`', file: nodeBin, argv: ['hello.js'] },
  ];
  for (const v of variants.slice(0, 3)) {
    const out = execFileSync(v.file, v.argv, { cwd: src, env, encoding: 'utf8' });
    if (out !== 'hello bob\n') throw new Error(`${v.label} printed ${JSON.stringify(out)}`);
  }
  const once = (v) => runner.once(v.file, v.argv, src);
  const times = variants.map(() => []);
  for (const v of variants) await once(v); // warm the page cache (and the executable's code caches)
  for (const v of variants) await once(v);
  for (let i = 0; i < runs; i++) {
    const order = i % 2 ? [...variants.keys()].reverse() : [...variants.keys()];
    for (const k of order) times[k].push((await once(variants[k])).ms);
  }
  const nodeMs = median(times[0]);
  console.log(`Node ${nodeVersion}, medians of ${runs} interleaved runs, NODE_EXTRA_CA_CERTS unset.\n`);
  console.log('| start | median | / `node cli.js` |\n|---|---:|---:|');
  variants.forEach((v, k) =>
    console.log(`| ${v.label} | ${median(times[k]).toFixed(1)} ms | ${(median(times[k]) / nodeMs).toFixed(2)}× |`),
  );
} finally {
  runner.kill();
  rmSync(work, { recursive: true, force: true });
}
