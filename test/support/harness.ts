/**
 * End-to-end harness. A fixture is copied to a temporary folder (and installed with `npm ci` when it
 * has a lockfile), its scenarios are run with `node entry.js`, it is built with the real CLI, and the
 * executable is moved alone into a fresh folder while the sources are deleted: whatever the executable
 * does after that, it does without them.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Options } from 'execa';

export const repoRoot = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const cli = path.join(repoRoot, 'dist', 'cli.js');
export const fixtures = path.join(repoRoot, 'test', 'fixtures');

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number | undefined;
}

export interface Scenario {
  name: string;
  /** Compare stderr as well (where it holds nothing that differs by design, such as a pid). */
  compareStderr?: boolean;

  args?: string[];
  input?: string;
  env?: Record<string, string>;
}

/**
 * Environment for the programs under test: no inherited Node options or extra CA bundle, and no
 * colour settings (a CI service may set FORCE_COLOR; messages are compared as plain text).
 */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  return { ...process.env, NODE_OPTIONS: undefined, NODE_EXTRA_CA_CERTS: undefined, FORCE_COLOR: undefined, NO_COLOR: undefined, ...extra };
}

export async function run(file: string, args: string[], options: Options & { input?: string } = {}): Promise<RunResult> {
  const result = await execa(file, args, { reject: false, timeout: 120_000, env: cleanEnv(), extendEnv: false, ...options });
  return { stdout: String(result.stdout), stderr: String(result.stderr), exitCode: result.exitCode };
}

export interface PackedApp {
  /** The executable, alone in its folder. */
  exe: string;
  runDir: string;
  /** What `node entry.js` did for each scenario, recorded before the sources were deleted. */
  node: Map<string, RunResult>;
  build: RunResult;
  /** Runs a scenario with the executable, from its folder. */
  run(scenario: Scenario): Promise<RunResult>;
  cleanup(): void;
}

export interface PackOptions {
  entry: string;
  /**
   * 'executable' (default) injects into a Node binary; 'resources' writes only the resources file and
   * runs it with `oxpack run` on this Node: the same runtime, seconds faster per fixture.
   */
  mode?: 'executable' | 'resources';
  /** Node binary to build with and to compare against (default: the Node running the tests). */
  node?: string;
  scenarios?: Scenario[];
  /** Extra CLI arguments for the build. */
  buildArgs?: string[];
  /** Lets `npm ci` run install scripts (addons built from source, such as better-sqlite3). */
  installScripts?: boolean;
  /** Runs against the installed sources before they are deleted (servers and the like). */
  withSources?: (dir: string) => Promise<void>;
}

export async function packFixture(name: string, options: PackOptions): Promise<PackedApp> {
  const work = mkdtempSync(path.join(tmpdir(), `oxpack-e2e-${name}-`));
  const src = path.join(work, name);
  cpSync(path.join(fixtures, name), src, { recursive: true, verbatimSymlinks: true });
  if (existsSync(path.join(src, 'package-lock.json'))) {
    const scripts = options.installScripts ? [] : ['--ignore-scripts'];
    const install = await run('npm', ['ci', '--no-audit', '--no-fund', ...scripts, '--loglevel=error'], {
      cwd: src,
      env: cleanEnv(),
      timeout: 600_000,
    });
    if (install.exitCode !== 0) throw new Error(`npm ci failed for ${name}:\n${install.stderr}`);
  }
  const node = new Map<string, RunResult>();
  for (const scenario of options.scenarios ?? []) {
    node.set(
      scenario.name,
      await run(options.node ?? process.execPath, [options.entry, ...(scenario.args ?? [])], {
        cwd: src,
        env: cleanEnv(scenario.env),
        ...(scenario.input !== undefined ? { input: scenario.input } : {}),
      }),
    );
  }
  await options.withSources?.(src);

  const resources = options.mode === 'resources';
  const built = path.join(work, resources ? `${name}.oxres` : `${name}.exe`);
  const modeArgs = [...(resources ? ['--resources-only'] : []), ...(options.node ? ['--node', options.node] : [])];
  const build = await run(process.execPath, [cli, options.entry, '-o', built, ...modeArgs, ...(options.buildArgs ?? [])], {
    cwd: src,
    timeout: 300_000,
  });
  if (build.exitCode !== 0) throw new Error(`oxpack failed for ${name} (exit ${build.exitCode}):\n${build.stderr}`);

  const runDir = mkdtempSync(path.join(tmpdir(), `oxpack-run-${name}-`));
  const exe = path.join(runDir, resources ? `${name}.oxres` : name);
  renameSync(built, exe);
  // Files installed beside the output (--beside) travel with it.
  for (const companion of readdirSync(work)) {
    if (companion !== name) renameSync(path.join(work, companion), path.join(runDir, companion));
  }
  rmSync(work, { recursive: true, force: true });
  const [file, prefix] = resources ? [options.node ?? process.execPath, [cli, 'run', exe]] : [exe, []];

  return {
    exe,
    runDir,
    node,
    build,
    run: (scenario) =>
      run(file, [...prefix, ...(scenario.args ?? [])], {
        cwd: runDir,
        env: cleanEnv(scenario.env),
        ...(scenario.input !== undefined ? { input: scenario.input } : {}),
      }),
    cleanup: () => rmSync(runDir, { recursive: true, force: true }),
  };
}

/** Reads stdout lines until `pattern` matches; returns the match. */
export function waitForLine(stream: NodeJS.ReadableStream, pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; got: ${buffered}`)), timeoutMs);
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const m = buffered.match(pattern);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
  });
}
