/**
 * The real apps issue 2 is done with: an express 5 server serving static files packed with assets, a
 * yargs 17 CLI (and yargs 18, published as ES modules only), the TypeScript compiler's own CLI (which reads its lib.*.d.ts through fs), and ESLint 9
 * through its API (hundreds of modules, rules loaded lazily).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cleanEnv, packFixture, type PackedApp, type RunResult, type Scenario, waitForLine } from '../support/harness.js';

const BUILD_TIMEOUT = 600_000;

describe('express 5 static server', () => {
  let app: PackedApp;
  const requests = ['/', '/css/site.css', '/api', '/missing', '/index.html', '/view'];
  let expected: { status: number; type: string | null; body: string }[] = [];

  const fetchAll = async (port: number) =>
    Promise.all(
      requests.map(async (p) => {
        const res = await fetch(`http://127.0.0.1:${port}${p}`);
        return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
      }),
    );

  const serve = async <T>(file: string, args: string[], cwd: string, fn: (port: number) => Promise<T>): Promise<T> => {
    const child = execa(file, args, { cwd, env: cleanEnv({ PORT: '0' }), extendEnv: false, reject: false });
    try {
      const [, port] = await waitForLine(child.stdout!, /listening on (\d+)/);
      return await fn(Number(port));
    } finally {
      child.kill();
      await child;
    }
  };

  beforeAll(async () => {
    app = await packFixture('express-static', {
      entry: 'server.js',
      withSources: async (dir) => {
        expected = await serve(process.execPath, ['server.js'], dir, fetchAll);
      },
    });
  }, BUILD_TIMEOUT);
  afterAll(() => app?.cleanup());

  test('serves the same responses as under node', async () => {
    const actual = await serve(app.exe, [], app.runDir, fetchAll);
    expect(actual).toEqual(expected);
    expect(expected.map((r) => r.status)).toEqual([200, 200, 200, 404, 200, 200]);
    expect(expected[1]!.body).toContain('color:red');
    expect(expected[5]!.body).toBe('<p>rendered by ejs</p>\n');
  });
});

/**
 * A command-line app built once and run per scenario from an empty folder: stdout, stderr and exit
 * code must equal what `node entry.js` gave. `extra` adds tests that use the built app.
 */
function cliSuite(
  title: string,
  fixture: string,
  entry: string,
  scenarios: Scenario[],
  extra?: (app: () => PackedApp) => void,
  mode: 'executable' | 'resources' = 'executable',
): void {
  describe(title, () => {
    let app: PackedApp;
    beforeAll(async () => {
      app = await packFixture(fixture, { entry, scenarios, mode });
    }, BUILD_TIMEOUT);
    afterAll(() => app?.cleanup());

    test.each(scenarios.map((s) => [s.name, s] as const))('%s', async (_name, scenario) => {
      const expected = app.node.get(scenario.name)!;
      const actual = await app.run(scenario);
      expect(actual.stdout).toBe(expected.stdout);
      expect(actual.stderr).toBe(expected.stderr);
      expect(actual.exitCode).toBe(expected.exitCode);
    });
    extra?.(() => app);
  });
}

// The same CLI with its commands in a folder that yargs lists (commandDir), as resources: the build is
// what is tested.
cliSuite(
  "yargs 17 with its commands in a folder (commandDir('cmds'))",
  'yargs-cli',
  'commands.js',
  [
    { name: 'help', args: ['--help'] },
    { name: 'greet', args: ['greet', 'ada', '--loud'] },
    { name: 'count', args: ['count', '3'] },
  ],
  (app) => {
    test('the folder was found: node lists both commands, and greet needs a file only its command requires', () => {
      expect(app().node.get('help')!.stdout).toMatch(/tool count <n> .*\n.*tool greet <name>/);
      expect(app().node.get('greet')!.stdout).toBe('HELLO ADA!');
      expect(['help', 'greet', 'count'].map((name) => app().node.get(name)!.exitCode)).toEqual([0, 0, 0]);
    });
  },
  'resources',
);

cliSuite('yargs 17 CLI', 'yargs-cli', 'cli.js', [
  { name: 'command with options', args: ['hello', 'bob', '-t', '2'] },
  { name: 'help', args: ['--help'] },
  { name: 'command help', args: ['hello', '--help'] },
  { name: 'exit code', args: ['fail'] },
  { name: 'unknown command', args: ['nope'] },
  { name: 'no command', args: [] },
]);

// Published as ES modules only: on Node 20 its modules load through the module.register() hooks thread,
// on 22.15+ through in-thread hooks.
cliSuite('yargs 18 CLI (ES modules only)', 'yargs-esm', 'cli.js', [
  { name: 'command with options', args: ['hello', 'bob', '-t', '2'] },
  { name: 'help', args: ['--help'] },
  { name: 'unknown command', args: ['nope'] },
  { name: 'exit code', args: ['fail'] },
]);

describe('TypeScript compiler CLI', () => {
  let app: PackedApp;
  const project = (dir: string): void => {
    mkdirSync(path.join(dir, 'proj'), { recursive: true });
    writeFileSync(path.join(dir, 'proj', 'ok.ts'), 'export const n: number = [1, 2, 3].map((x) => x * 2).length;\n');
    writeFileSync(path.join(dir, 'proj', 'bad.ts'), 'const s: string = 42;\nexport { s };\n');
  };
  const checks: [string, string[]][] = [
    ['version', ['--version']],
    ['type-check passes', ['--noEmit', '--strict', '--lib', 'es2022,dom', 'proj/ok.ts']],
    ['type-check fails', ['--noEmit', 'proj/bad.ts']],
  ];
  let expected: Map<string, RunResult>;

  beforeAll(async () => {
    expected = new Map();
    app = await packFixture('tsc-cli', {
      entry: 'tsc.js',
      withSources: async (dir) => {
        project(dir);
        for (const [name, args] of checks) {
          const r = await execa(process.execPath, ['tsc.js', ...args], { cwd: dir, reject: false, env: cleanEnv(), extendEnv: false });
          expected.set(name, { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode });
        }
      },
    });
    project(app.runDir);
  }, BUILD_TIMEOUT);
  afterAll(() => app?.cleanup());

  test.each(checks)('%s', async (name, args) => {
    const actual = await app.run({ name, args });
    const want = expected.get(name)!;
    expect(actual.stdout).toBe(want.stdout);
    expect(actual.exitCode).toBe(want.exitCode);
  });

  test('the failing check really reports the error', () => {
    expect(expected.get('type-check fails')!.stdout).toContain("error TS2322: Type 'number' is not assignable to type 'string'");
    expect(expected.get('type-check passes')!.exitCode).toBe(0);
  });
});

cliSuite(
  'ESLint 9 through its API',
  'eslint-api',
  'lint.js',
  [
    { name: 'findings and exit code', args: [] },
    { name: 'a clean file', args: ['clean'] },
  ],
  (app) => {
    test('node reported the findings the scenario is about', () => {
      const findings = app().node.get('findings and exit code')!;
      expect(findings.stdout).toContain('no-unused-vars');
      expect(findings.stdout).toContain('no-debugger');
      expect(findings.exitCode).toBe(1);
      expect(app().node.get('a clean file')!.stdout).toBe('0 errors, 0 warnings');
    });
    test("the build answered the packed modules' literal requires: the runtime resolved almost none", async () => {
      const r = await app().run({ name: 'debug', args: [], env: { OXPACK_DEBUG: 'resolve' } });
      const m = /oxpack:resolve (\d+) packed requests answered by the build, (\d+) resolved at run time/.exec(r.stderr);
      expect(m).not.toBeNull();
      const [answered, resolved] = [Number(m![1]), Number(m![2])];
      // ESLint loads about 360 modules through literal requires; what is left are computed specifiers.
      expect(answered).toBeGreaterThan(300);
      expect(resolved).toBeLessThan(answered / 20);
      expect(r.stdout).toBe(app().node.get('findings and exit code')!.stdout);
    });
  },
);
