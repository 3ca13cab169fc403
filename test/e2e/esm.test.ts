/**
 * ES modules inside the executable on every supported Node line (20, 22, 24, 26): each fixture is built
 * with that line's Node and compared with `node entry.js` on the same binary.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { packFixture, type PackedApp, type Scenario } from '../support/harness.js';
import { NODE_LINES, nodeFor } from '../support/nodes.js';

const TIMEOUT = 600_000;

const suites: { fixture: string; entry: string; scenarios: Scenario[] }[] = [
  {
    fixture: 'esm-features',
    entry: 'main.js',
    scenarios: [
      { name: 'every feature', args: [] },
      { name: 'a plugin chosen at run time', args: ['gamma'] },
    ],
  },
  {
    fixture: 'esm-mixed',
    entry: 'main.js',
    scenarios: [
      { name: 'ESM entry with chalk 5, TLA, #imports, JSON', args: [] },
      { name: 'computed command import', args: ['shout', 'loud', 'words'] },
    ],
  },
  {
    fixture: 'esm-mixed',
    entry: 'legacy-cli.cjs',
    scenarios: [{ name: 'CommonJS entry importing ESM-only chalk', args: ['from', 'cjs'] }],
  },
  {
    fixture: 'prettier',
    entry: 'format.js',
    scenarios: [
      { name: 'babel', args: ['babel'], input: 'const  a = {b:1,   c:[1,2]}\nfunction f( x ){return x}\n' },
      { name: 'typescript', args: ['typescript'], input: 'interface A{ x:number; y? :string}\nconst f=(a:A)=>a.x\n' },
      { name: 'css', args: ['css'], input: 'a{color:red;background:blue}' },
      { name: 'markdown', args: ['markdown'], input: '# title\n* one\n* two\n' },
      { name: 'yaml', args: ['yaml'], input: 'a:   1\nb: [1,2]\n' },
      { name: 'a syntax error', args: ['babel'], input: 'const = ;', compareStderr: true },
    ],
  },
];

describe.each(NODE_LINES.map((line) => [line]))('Node %i', (line) => {
  for (const { fixture, entry, scenarios } of suites) {
    describe(`${fixture} (${entry})`, () => {
      let app: PackedApp;
      beforeAll(async () => {
        app = await packFixture(fixture, { entry, scenarios, node: await nodeFor(line) });
      }, TIMEOUT);
      afterAll(() => app?.cleanup());

      test.each(scenarios.map((s) => [s.name, s] as const))('%s', async (_name, scenario) => {
        const expected = app.node.get(scenario.name)!;
        const actual = await app.run(scenario);
        expect(actual.stdout).toBe(expected.stdout);
        expect(actual.exitCode).toBe(expected.exitCode);
        // Node's experimental warnings (JSON modules, WebAssembly, require(esm), which differ by line
        // and by how node is started) are the one allowed difference.
        expect(withoutWarnings(actual.stderr)).toBe(withoutWarnings(expected.stderr));
        if (scenario.compareStderr) expect(expected.stderr).toMatch(/^prettier: /);
        else expect(expected.stdout.length).toBeGreaterThan(0);
      });

      // Where the hooks run in a thread of their own (module.register, before 22.15), the executable
      // starts them from the code cache the build made of them; later lines start no thread.
      if (entry === 'main.js' && fixture === 'esm-features') {
        test('the hooks thread starts from its code cache (Node 20)', async () => {
          const scenario = { ...scenarios[0]!, env: { OXPACK_DEBUG: 'cache' } };
          const actual = await app.run(scenario);
          expect(actual.stdout).toBe(app.node.get(scenarios[0]!.name)!.stdout);
          const thread = /oxpack:cache ES module hooks thread code cache: (\S+)/.exec(actual.stderr);
          expect(thread?.[1]).toBe(line < 22 ? 'used' : undefined);
        });
      }

      // Where the hooks run in the main thread (module.registerHooks, 22.15 and later), they count.
      if (fixture === 'esm-mixed' && entry === 'main.js' && line >= 22) {
        test("the build answered the packed ES modules' literal imports", async () => {
          const scenario = { ...scenarios[0]!, env: { OXPACK_DEBUG: 'resolve' } };
          const actual = await app.run(scenario);
          expect(actual.stdout).toBe(app.node.get(scenarios[0]!.name)!.stdout);
          const m = /oxpack:resolve (\d+) packed imports answered by the build, (\d+) resolved at run time/.exec(actual.stderr);
          expect(m).not.toBeNull();
          expect(Number(m![1])).toBeGreaterThanOrEqual(5);
        });
      }
    });
  }
});

function withoutWarnings(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => !/^\(.+:\d+\) ExperimentalWarning: /.test(line) && !/^\(Use `.+ --trace-warnings /.test(line))
    .join('\n');
}
