#!/usr/bin/env node
// Benchmarks packed executables against `node entry.js` on the same Node binary, in one run:
// start-up time and peak RSS (medians of interleaved runs), executable size, and build time by step.
//
//   node scripts/bench.mjs [--runs 11] [--node <major>] [--only <fixture,...>] [--compression] [--write]
//
// --compression measures the apps that have data worth compressing with their files stored as they
// are, with gzip and with brotli (`--compress`), side by side, instead of the main table.
// --node 24 measures with Node 24 from the npm registry (cached) instead of the Node running the script:
// both `node entry.js` and the executable then use that binary. --write replaces that line's table in
// docs/benchmarks.md. Each app is also built the way Node's documentation suggests, as a Node SEA of
// an esbuild bundle with Node's code cache, and measured where that bundle works (prints what node
// prints); the hello world built so is a bare Node SEA that prints hello: the floor.
//
// NODE_EXTRA_CA_CERTS is unset for every measured process (bench-common.mjs): on this kind of machine it alone adds about
// 50 ms to each Node 20 start, packed or not, and would hide the difference being measured.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { env, installFixture, median, nodeBinary, root, runnerClient } from './bench-common.mjs';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 11;
const write = args.includes('--write');
// --only yargs-cli,tsc-cli: measure these apps (fixture names; "hello" for the hello world) and no others
const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : undefined;
if (only && write) throw new Error('--write replaces the whole table: measure every app (leave out --only)');
const line = args.includes('--node') ? args[args.indexOf('--node') + 1] : undefined;
const nodeBin = await nodeBinary(line);
const nodeVersion = execFileSync(nodeBin, ['--version'], { encoding: 'utf8' }).trim();

/** The apps: fixture folder, entry, and how one start is measured. */
const apps = [
  { name: 'hello world', fixture: null, entry: 'hello.js', floor: true, runs: [{ label: 'print hello', args: [] }] },
  { name: 'yargs 17 CLI', fixture: 'yargs-cli', entry: 'cli.js', runs: [{ label: '`hello bob`', args: ['hello', 'bob'] }] },
  // The same CLI on yargs 18, published as ES modules only: the ES module loader's path (on Node 20 and
  // 22 before 22.15, a module.register() hooks thread).
  { name: 'yargs 18 CLI (ESM)', fixture: 'yargs-esm', entry: 'cli.js', runs: [{ label: '`hello bob`', args: ['hello', 'bob'] }] },
  {
    name: 'TypeScript 5.9 compiler',
    fixture: 'tsc-cli',
    compression: true,
    entry: 'tsc.js',
    setup: (dir) => {
      mkdirSync(path.join(dir, 'proj'), { recursive: true });
      writeFileSync(
        path.join(dir, 'proj', 'a.ts'),
        'export const f = (s: string): number => s.length;\nexport const n: number = f("x");\n',
      );
    },
    runs: [
      { label: '`--version`', args: ['--version'] },
      { label: 'type-check one file', args: ['--noEmit', 'proj/a.ts'], exitCode: 0 },
    ],
  },
  {
    name: 'ESLint 9 (API)',
    fixture: 'eslint-api',
    compression: true,
    entry: 'lint.js',
    runs: [{ label: 'lint one file', args: [], exitCode: 1 }],
  },
  {
    name: 'express 5 server',
    fixture: 'express-static',
    compression: true,
    entry: 'server.js',
    server: /listening on (\d+)/,
    // what a start must serve to count as working: a static file, and a route
    serves: ['/', '/api'],
    runs: [{ label: 'start until listening', args: [] }],
  },
];

const total = (timings) => Object.values(timings).reduce((a, b) => a + b, 0);
const { once, kill: killRunner } = runnerClient();

/** What a server started from `file` answers for each of app.serves, as one string. */
function served(file, argv, cwd, app) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { cwd, env: { ...env, PORT: '0' }, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${file} did not get ready: ${out}`));
    }, 30_000);
    child.stdout.on('data', async (chunk) => {
      out += chunk;
      const port = app.server.exec(out)?.[1];
      if (!port || child.ready) return;
      child.ready = true;
      clearTimeout(timer);
      const answers = [];
      for (const where of app.serves) {
        try {
          const res = await fetch(`http://127.0.0.1:${port}${where}`);
          answers.push(`${where} ${res.status} ${await res.text()}`);
        } catch (err) {
          answers.push(`${where} ${err.message}`);
        }
      }
      child.kill();
      resolve(answers.join('\n'));
    });
  });
}

/** The app's sources in `work` (its fixture copied and installed from its lockfile): their folder. */
function prepare(app, work) {
  const src = path.join(work, app.fixture ?? 'hello');
  if (app.fixture) {
    installFixture(app.fixture, src);
  } else {
    mkdirSync(src);
    writeFileSync(path.join(src, app.entry), "console.log('hello');\n");
  }
  // What a run needs beside it, both where `node entry.js` runs (src) and where the executables do.
  app.setup?.(src);
  app.setup?.(work);
  return src;
}

/**
 * Throws unless the executable prints (or, for a server, serves) what `node entry.js` does, and exits
 * alike; returns what node served, or node's run.
 */
async function checkSame(app, r, node, src, exe, work) {
  if (app.server) {
    const a = await served(node, [app.entry], src, app);
    const b = await served(exe, [], work, app);
    if (a !== b) throw new Error(`${app.name}: node and ${path.basename(exe)} serve differently:\n${a}\n${b}`);
    return a;
  }
  const a = spawnSync(node, [app.entry, ...r.args], { cwd: src, env, encoding: 'utf8' });
  const b = spawnSync(exe, r.args, { cwd: work, env, encoding: 'utf8' });
  if (a.stdout !== b.stdout || a.status !== b.status) {
    throw new Error(
      `${app.name} ${r.label}: node and ${path.basename(exe)} disagree:\n${a.status} ${a.stdout}${a.stderr}\n${b.status} ${b.stdout}${b.stderr}`,
    );
  }
  // The app itself fails on this line, packed as under node (yargs 17 on Node 26): nothing to time.
  if (a.status !== (r.exitCode ?? 0))
    return { ...a, nodeFails: `exits ${a.status}${quoteError(a)} under node ${nodeVersion}, and so does the executable` };
  return a;
}

/** `, saying "<the error>"` from a failed run's output: Node's report starts with where it threw, not the error. */
function quoteError(res) {
  const lines = (res.stderr.trim() || res.stdout.trim()).split('\n');
  const said = (lines.find((l) => /^\w*Error\b|\berror\b/i.test(l)) ?? lines[0] ?? '').trim().replace(/\.$/, '');
  return said ? `, saying "${said.slice(0, 160)}"` : '';
}

async function measure(app, work) {
  const src = prepare(app, work);
  const exe = path.join(work, `${app.fixture ?? 'hello'}.exe`);
  // The library's build() is what the CLI runs; it reports the time of each step.
  const { build } = await import(path.join(root, 'dist', 'index.js'));
  const options = { entry: app.entry, output: exe, cwd: src, ...(line ? { node: nodeBin } : {}) };
  const first = await build(options);
  const again = await build(options);
  const sea = await esbuildSea(src, app.entry, path.join(work, `${app.fixture ?? 'hello'}.sea`));
  // Every binary measured in the same page-cache state (see rewriteInSmallWrites): the executables,
  // and a copy of the Node binary that runs `node entry.js`.
  const node = rewriteInSmallWrites(nodeBin, path.join(work, 'node'));
  rewriteInSmallWrites(exe);
  if (sea.file) rewriteInSmallWrites(sea.file);

  const rows = [];
  for (const r of app.runs) {
    // Time only what works: the executable must print (or serve) what node does, and exit alike.
    const a = await checkSame(app, r, node, src, exe, work);
    if (a.nodeFails) {
      rows.push({ app: app.name, run: r.label, nodeFails: a.nodeFails });
      continue;
    }
    if (app.server) {
      if (sea.file && (await served(sea.file, [], work, app)) !== a) {
        sea.failure = `starts, but does not serve what node serves (${app.serves.join(', ')}): files beside the code are not in the bundle`;
        sea.file = undefined;
      }
    } else {
      if (sea.file) {
        const c = spawnSync(sea.file, r.args, { cwd: work, env, encoding: 'utf8' });
        if (a.stdout !== c.stdout || a.status !== c.status) {
          sea.failure = `exits ${c.status} where node exits ${a.status}${quoteError(c)}`;
          sea.file = undefined;
        }
      }
    }
    const nodeRuns = [];
    const packed = [];
    const seaRuns = [];
    await once(node, [app.entry, ...r.args], src, app.server); // warm the page cache
    // Servers are killed, never exit: a Node 20 executable writes its code caches 3 s after loading.
    await once(exe, r.args, work, app.server, 4000);
    if (sea.file) await once(sea.file, r.args, work, app.server);
    for (let i = 0; i < runs; i++) {
      // Interleaved, alternating which goes first, so that machine noise hits all alike.
      const order = i % 2 ? ['exe', 'node', 'sea'] : ['sea', 'node', 'exe'];
      for (const which of order) {
        if (which === 'node') nodeRuns.push(await once(node, [app.entry, ...r.args], src, app.server));
        else if (which === 'exe') packed.push(await once(exe, r.args, work, app.server));
        else if (sea.file) seaRuns.push(await once(sea.file, r.args, work, app.server));
      }
    }
    rows.push({
      app: app.name,
      floor: app.floor,
      run: r.label,
      nodeMs: median(nodeRuns.map((x) => x.ms)),
      exeMs: median(packed.map((x) => x.ms)),
      nodeRss: median(nodeRuns.map((x) => x.rss)),
      exeRss: median(packed.map((x) => x.rss)),
      ...(sea.file ? { seaMs: median(seaRuns.map((x) => x.ms)), seaRss: median(seaRuns.map((x) => x.rss)) } : {}),
      seaNote: sea.failure ?? sea.note,
    });
  }
  return { rows, size: statSync(exe).size, buildMs: total(first.timings), steps: first.timings, rebuildMs: total(again.timings) };
}

/**
 * Writes `file` again (to `out`, or in place) in 64 kB writes, as a download or a copy writes it. A
 * file written in one large write (postject's output) sits in the page cache in large folios, which
 * the kernel maps whole: the same executable then shows about 15 MB more peak RSS and starts about
 * 1 ms sooner than once it is written in small pieces. Measuring every binary in the same state keeps
 * that out of the comparison.
 */
function rewriteInSmallWrites(file, out = file) {
  const data = readFileSync(file);
  const temp = `${out}.rewrite`;
  const fd = openSync(temp, 'w', 0o755);
  for (let at = 0; at < data.length; at += 65536) writeSync(fd, data, at, Math.min(65536, data.length - at));
  closeSync(fd);
  renameSync(temp, out);
  return out;
}

/**
 * The app as Node's documentation suggests packing it without oxpack: an esbuild bundle (CommonJS, for
 * Node) made the main script of a plain Node SEA with Node's code cache. Packages esbuild cannot find
 * (optional ones, such as ESLint's jiti) are left out, as a user would have to; a bundle that still
 * fails to build is reported, not measured. For a hello world this is a bare Node SEA.
 */
async function esbuildSea(src, entry, out) {
  const { build: bundle } = await import('esbuild');
  const { inject } = await import(path.join(root, 'dist', 'build', 'sea.js'));
  const dir = mkdtempSync(path.join(tmpdir(), 'oxpack-bench-sea-'));
  const script = path.join(dir, 'bundle.cjs');
  const external = [];
  let note;
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await bundle({
          entryPoints: [path.join(src, entry)],
          bundle: true,
          platform: 'node',
          format: 'cjs',
          outfile: script,
          external,
          logLevel: 'silent',
        });
        break;
      } catch (err) {
        const missing = (err.errors ?? []).map((e) => /^Could not resolve "([^"]+)"/.exec(e.text)?.[1]).filter(Boolean);
        if (attempt > 0 || missing.length === 0) return { failure: `esbuild cannot bundle it: ${err.errors?.[0]?.text ?? err.message}` };
        external.push(...missing);
        note = `bundled with ${[...new Set(missing)].join(', ')} left out`;
      }
    }
    writeFileSync(
      path.join(dir, 'sea.json'),
      JSON.stringify({ main: script, output: path.join(dir, 'sea.blob'), disableExperimentalSEAWarning: true, useCodeCache: true }),
    );
    execFileSync(nodeBin, ['--experimental-sea-config', path.join(dir, 'sea.json')], { cwd: dir, env, stdio: 'ignore' });
    cpSync(nodeBin, out);
    execFileSync('chmod', ['755', out]);
    await inject(out, readFileSync(path.join(dir, 'sea.blob')), { platform: process.platform, binary: nodeBin });
    return { file: out, note };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * --compression: the app's files stored as they are, with gzip and with brotli (`--compress`), each
 * built into an executable and started side by side: what compression saves in size and costs at
 * start. Each executable must print (or serve) what node does.
 */
async function measureCompression(app, work) {
  const src = prepare(app, work);
  const { build } = await import(path.join(root, 'dist', 'index.js'));
  const node = rewriteInSmallWrites(nodeBin, path.join(work, 'node'));
  const variants = [];
  for (const compress of [undefined, 'gzip', 'brotli']) {
    const exe = path.join(work, `${app.fixture}-${compress ?? 'none'}.exe`);
    const options = { entry: app.entry, output: exe, cwd: src, ...(compress ? { compress } : {}), ...(line ? { node: nodeBin } : {}) };
    const result = await build(options);
    rewriteInSmallWrites(exe);
    variants.push({
      stored: compress ?? 'as they are',
      exe,
      size: result.size,
      resources: result.resourcesSize,
      buildMs: total(result.timings),
    });
  }
  const rows = [];
  for (const r of app.runs) {
    for (const v of variants) {
      await checkSame(app, r, node, src, v.exe, work);
      await once(v.exe, r.args, work, app.server, 4000); // unmeasured, as in the main table
    }
    const starts = variants.map(() => []);
    for (let i = 0; i < runs; i++) {
      // Interleaved, alternating the order, so that machine noise hits all alike.
      const order = i % 2 ? [2, 1, 0] : [0, 1, 2];
      for (const k of order) starts[k].push(await once(variants[k].exe, r.args, work, app.server));
    }
    variants.forEach((v, k) => {
      rows.push({ app: app.name, run: r.label, ...v, ms: median(starts[k].map((x) => x.ms)), rss: median(starts[k].map((x) => x.rss)) });
    });
  }
  return rows;
}

const compression = args.includes('--compression');
const work = mkdtempSync(path.join(tmpdir(), 'oxpack-bench-'));
const results = [];
const compressionRows = [];
try {
  const chosen = apps.filter((a) => (!only || only.includes(a.fixture ?? 'hello')) && (!compression || a.compression));
  for (const app of chosen) {
    process.stderr.write(`measuring ${app.name}...\n`);
    if (compression) compressionRows.push(...(await measureCompression(app, work)));
    else results.push({ app, ...(await measure(app, work)) });
  }
} finally {
  killRunner();
  rmSync(work, { recursive: true, force: true });
}

const fmt = (n, d = 0) => n.toFixed(d);
const lines = [];
lines.push(
  `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpus()[0]?.model.trim()}, Node ${nodeVersion} ${process.platform}-${process.arch}, oxpack ${JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version}.`,
);
lines.push(
  `Medians of ${runs} interleaved runs each, NODE_EXTRA_CA_CERTS unset. Start-up is wall time until the process exits (servers: until they print that they listen).`,
);
lines.push('');
if (compression) compressionTable(lines);
else mainTable(lines);

/** Start-up, memory, size and build time against `node entry.js` and the esbuild SEA. */
function mainTable(lines) {
  lines.push(
    '| app | run | `node entry.js` | packed | packed / node | SEA + esbuild | SEA + esbuild / node | peak RSS node | peak RSS packed |',
  );
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  const notes = [];
  for (const r of results.flatMap((x) => x.rows)) {
    if (r.floor) {
      // Tenths of a millisecond here: the goal for this row is a few milliseconds over the bare SEA.
      lines.push(
        `| ${r.app} | ${r.run} | ${fmt(r.nodeMs, 1)} ms | ${fmt(r.exeMs, 1)} ms | ${fmt(r.exeMs / r.nodeMs, 2)}× | | | ${fmt(r.nodeRss / 1024, 1)} MB | ${fmt(r.exeRss / 1024, 1)} MB |`,
      );
      lines.push(
        `| ${r.app} | bare Node SEA (no oxpack) | | ${fmt(r.seaMs, 1)} ms | ${fmt(r.seaMs / r.nodeMs, 2)}× | | | | ${fmt(r.seaRss / 1024, 1)} MB |`,
      );
      continue;
    }
    if (r.nodeFails) {
      notes.push(`${r.app}, ${r.run}: ${r.nodeFails}.`);
      lines.push(`| ${r.app} | ${r.run} | fails [${notes.length}] | fails alike | | | | | |`);
      continue;
    }
    let seaCells = '| |';
    if (r.seaMs !== undefined) seaCells = `${fmt(r.seaMs)} ms | ${fmt(r.seaMs / r.nodeMs, 2)}× |`;
    if (r.seaNote) {
      notes.push(`${r.app}, ${r.run}: ${r.seaNote}.`);
      seaCells = `${r.seaMs !== undefined ? `${fmt(r.seaMs)} ms` : 'fails'} [${notes.length}] | ${r.seaMs !== undefined ? `${fmt(r.seaMs / r.nodeMs, 2)}×` : ''} |`;
    }
    lines.push(
      `| ${r.app} | ${r.run} | ${fmt(r.nodeMs)} ms | ${fmt(r.exeMs)} ms | ${fmt(r.exeMs / r.nodeMs, 2)}× | ${seaCells} ${fmt(r.nodeRss / 1024, 1)} MB | ${fmt(r.exeRss / 1024, 1)} MB |`,
    );
  }
  if (notes.length > 0) {
    lines.push('');
    notes.forEach((n, k) => lines.push(`[${k + 1}] ${n}`));
  }
  lines.push('');
  lines.push('| app | executable size | build time | trace | collect | code cache | serialize | inject | rebuild, nothing changed |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const x of results) {
    const s = (ms) => `${fmt(ms / 1000, 1)} s`;
    lines.push(
      `| ${x.app.name} | ${fmt(x.size / 1e6, 1)} MB | ${s(x.buildMs)} | ${s(x.steps.trace)} | ${s(x.steps.collect)} | ${s(x.steps['code-cache'])} | ${s(x.steps.serialize)} | ${s(x.steps.inject)} | ${s(x.rebuildMs)} |`,
    );
  }
}

/** Each app with its files stored as they are, gzip and brotli: sizes, start-up and memory. */
function compressionTable(lines) {
  lines.push('| app | run | files stored | executable | packed files | start-up | / stored as they are | peak RSS | build time |');
  lines.push('|---|---|---|---:|---:|---:|---:|---:|---:|');
  for (const r of compressionRows) {
    const plain = compressionRows.find((x) => x.app === r.app && x.run === r.run && x.stored === 'as they are');
    lines.push(
      `| ${r.app} | ${r.run} | ${r.stored} | ${fmt(r.size / 1e6, 1)} MB | ${fmt(r.resources / 1e6, 1)} MB | ${fmt(r.ms)} ms | ${fmt(r.ms / plain.ms, 2)}× | ${fmt(r.rss / 1024, 1)} MB | ${fmt(r.buildMs / 1000, 1)} s |`,
    );
  }
}
const table = lines.join('\n');
process.stdout.write(`${table}\n`);

if (write) {
  const file = path.join(root, 'docs', 'benchmarks.md');
  const text = readFileSync(file, 'utf8');
  const key = `${compression ? 'compression-' : ''}node${nodeVersion.slice(1).split('.')[0]}`;
  const begin = `<!-- bench:begin ${key} -->`;
  const end = `<!-- bench:end ${key} -->`;
  const block = `${begin}\n${table}\n${end}`;
  const updated = text.includes(begin)
    ? text.replace(new RegExp(`${begin}[\\s\\S]*?${end}`), block)
    : text.replace(`<!-- bench:${compression ? 'compression' : 'tables'} -->`, (marker) => `${marker}\n\n${block}`);
  writeFileSync(file, updated);
  process.stderr.write(`updated ${path.relative(process.cwd(), file)}\n`);
}
