#!/usr/bin/env node
/**
 * The oxpack command: argument parsing, progress and messages, exit codes. The work itself is build()
 * and the commands in src/commands; nothing here knows how an executable is made.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { build, type BuildEvent, type BuildResult, type BuildStep } from './build/build.js';
import { formatDiagnostic, type Diagnostic } from './build/diagnostics.js';
import { removeTrackedSync } from './build/temp-files.js';
import { formatReport, inspectFile } from './commands/inspect.js';
import { verifyFile } from './commands/verify.js';
import { buildReport, formatBuildReport } from './commands/report.js';
import { runResources } from './commands/run.js';
import { isOxpackError, OxpackError } from './errors.js';
import { oxpackVersion } from './version.js';
import { colors as pc, Progress } from './terminal.js';
import { formatSize, plural } from './units.js';

/** Exit codes: 0 success, 1 the build or command failed, 2 the command line was wrong. */
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

interface GlobalOptions {
  quiet?: boolean;
  verbose?: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function compression(value: string): 'brotli' | 'gzip' {
  if (value === 'brotli' || value === 'gzip') return value;
  throw new InvalidArgumentError('use "brotli" or "gzip"');
}

function printError(err: unknown): number {
  if (isOxpackError(err)) {
    process.stderr.write(`${pc.red('error')}: ${err.message}\n`);
    for (const line of err.details) process.stderr.write(`  ${line}\n`);
    if (err.hint) process.stderr.write(`${pc.cyan('hint')}: ${err.hint}\n`);
    return EXIT_FAILED;
  }
  const e = err as Error;
  process.stderr.write(`${pc.red('error')}: ${e?.message ?? String(err)}\n`);
  process.stderr.write(`${pc.dim(e?.stack ?? '')}\n`);
  process.stderr.write(`${pc.cyan('hint')}: this looks like a bug in oxpack ${oxpackVersion()}; please report it with the output above\n`);
  return EXIT_FAILED;
}

/** Warnings inside dependencies that say the app will fail (as under node), not a handled optional require. */
const SHOWN_FROM_PACKAGES = new Set(['extensionless-commonjs', 'require-esm']);

/**
 * Problems as the build finds them: the app's own warnings one by one, warnings inside dependencies
 * (optional requires they handle themselves, as under node) counted and summarized at the end.
 */
class DiagnosticPrinter {
  private readonly inPackages: Diagnostic[] = [];

  constructor(
    private readonly options: GlobalOptions,
    private readonly out: Progress,
  ) {}

  add(d: Diagnostic): void {
    if (d.severity === 'error') return; // part of the error the build throws
    if (d.severity === 'info') {
      if (this.options.verbose) this.out.line(`${pc.dim('note')}: ${formatDiagnostic(d)}`);
      return;
    }
    if (d.file?.includes(`${path.sep}node_modules${path.sep}`) && !this.options.verbose && !SHOWN_FROM_PACKAGES.has(d.code))
      this.inPackages.push(d);
    else this.out.line(`${pc.yellow('warning')}: ${formatDiagnostic(d)}`);
  }

  summarize(): void {
    const n = this.inPackages.length;
    if (n > 0)
      this.out.line(pc.dim(`${plural(n, 'warning')} inside dependencies (optional requires they handle themselves); --verbose lists them`));
  }
}

/** What each build step is doing, for the live progress line. */
const RUNNING: Record<BuildStep, string> = {
  target: 'finding the Node binary',
  trace: 'tracing imports',
  collect: 'collecting files',
  'code-cache': 'compiling the code cache',
  serialize: 'writing the packed resources',
  inject: 'writing the executable',
};

function summary(result: BuildResult, resourcesOnly: boolean): string {
  const total = Object.values(result.timings).reduce((a, b) => a + b, 0);
  const what = resourcesOnly ? 'resources file' : 'executable';
  return `${pc.green('built')} ${what} ${path.relative(process.cwd(), result.output) || result.output} (${formatSize(result.size)}): ${plural(result.files, 'file')}, ${plural(result.packages.length, 'package')}, Node ${result.target.version} ${result.target.platform}-${result.target.arch}, in ${(total / 1000).toFixed(1)} s`;
}

export function createProgram(): Command {
  const program = new Command();
  program
    .name('oxpack')
    .description('Turn a Node.js application into one self-contained executable.')
    .version(oxpackVersion(), '-V, --version')
    .argument('[entry]', 'the script you would run with node')
    .option('-o, --output <file>', 'where to write the executable')
    .option('-a, --assets <glob>', 'also pack files matching this glob (repeatable)', collect)
    .option('--external <package>', 'leave a package out; it is loaded from node_modules beside the executable (repeatable)', collect)
    .option('--exclude <glob>', 'leave packed files matching this glob out, e.g. "node_modules/**/*.d.ts" (repeatable)', collect)
    .option('--beside <glob>', 'install packed files matching this glob beside the executable instead of inside it (repeatable)', collect)
    .option('--beside-prefix <folder>', 'folder beside the executable for those files (default: <output name>.files)')
    .option(
      '-t, --target <target>',
      'node<version>[-<os>-<arch>], e.g. node24, node22.15.0, node24-win-x64 (default: the Node running oxpack)',
    )
    .option('--node <path>', 'build from this Node binary (default: the Node running oxpack)')
    .option('--offline', 'never ask the npm registry for Node binaries: use the cache')
    .addOption(new Option('--compress <method>', 'compress packed files').argParser(compression))
    .option('--no-code-cache', 'do not add V8 code caches (of the runtime and the packed modules)')
    .option('--resources-only', 'write only the packed resources file (run it with `oxpack run`)')
    .option('--verify-data', 'check the SHA-256 of the index and all packed data at every start (default: the index checksum)')
    .option('--allow-node-options', 'let NODE_OPTIONS (--require, --inspect...) reach the packed app (default: ignored or refused)')
    .option('--report <file>', 'write the build report as JSON (schema oxpack-report/1)')
    .option('-c, --config <file>', 'settings file (default: oxpack.config.json, .mjs or .js in the project root)')
    .option('-q, --quiet', 'print nothing but errors')
    .option('--verbose', 'print every step and every warning')
    .addHelpText(
      'after',
      `
Examples:
  $ oxpack server.js -o server                 build ./server from server.js
  $ oxpack cli.js -o mycli --assets 'templates/**'
  $ oxpack cli.js -o mycli --exclude 'node_modules/**/*.{d.ts,map}'   smaller, without types and source maps
  $ oxpack server.js -o server --target node24    for Node 24 (downloaded once from the npm registry)
  $ oxpack cli.js -o mycli --target node24-win-x64   a Windows executable (mycli.exe)
  $ oxpack app.js --resources-only -o app.oxres && oxpack run app.oxres

Settings can also live in oxpack.config.json (.mjs, .js) or in the "oxpack" field of package.json:
  { "assets": ["views/**"], "external": ["sharp"], "target": "node24" }
Commands: oxpack inspect <file>, oxpack verify <file>, oxpack run <file.oxres> [args...]`,
    )
    .showHelpAfterError('(run oxpack --help for usage)')
    .enablePositionalOptions()
    .action(async (entry: string | undefined, opts: Record<string, unknown>) => {
      const options = opts as unknown as GlobalOptions & {
        output?: string;
        assets?: string[];
        external?: string[];
        exclude?: string[];
        beside?: string[];
        besidePrefix?: string;
        node?: string;
        target?: string;
        offline?: boolean;
        compress?: 'brotli' | 'gzip';
        codeCache: boolean;
        resourcesOnly?: boolean;
        verifyData?: boolean;
        allowNodeOptions?: boolean;
        report?: string;
        config?: string;
      };
      if (!entry) {
        program.help({ error: true });
      }
      const out = new Progress(options);
      const printer = new DiagnosticPrinter(options, out);
      const onEvent = (event: BuildEvent): void => {
        if (event.type === 'diagnostic') printer.add(event.diagnostic);
        else if (event.type === 'progress') out.line(pc.dim(event.message));
        else if (event.state === 'start') out.start({ name: event.step, running: RUNNING[event.step] });
        else out.done(event.step, event.ms, event.detail);
      };
      let result: BuildResult;
      const stopCleanup = cleanUpOnSignals(out);
      try {
        result = await build({
          entry: entry!,
          output: options.output!,
          ...(options.assets ? { assets: options.assets } : {}),
          ...(options.external ? { external: options.external } : {}),
          ...(options.exclude ? { exclude: options.exclude } : {}),
          ...(options.beside ? { beside: options.beside } : {}),
          ...(options.besidePrefix ? { besidePrefix: options.besidePrefix } : {}),
          ...(options.node ? { node: options.node } : {}),
          ...(options.target ? { target: options.target } : {}),
          ...(options.config ? { config: options.config } : {}),
          ...(options.offline ? { offline: true } : {}),
          ...(options.compress ? { compress: options.compress } : {}),
          ...(options.codeCache === false ? { codeCache: false } : {}),
          ...(options.resourcesOnly ? { resourcesOnly: true } : {}),
          ...(options.verifyData ? { verifyData: true } : {}),
          ...(options.allowNodeOptions ? { allowNodeOptions: true } : {}),
          onEvent,
        });
      } finally {
        stopCleanup();
        out.stop();
        printer.summarize();
      }
      if (options.verbose) out.line(pc.dim(formatBuildReport(result)));
      if (options.report) {
        try {
          writeFileSync(path.resolve(options.report), `${JSON.stringify(buildReport(result), null, 2)}\n`);
        } catch (err) {
          throw new OxpackError(
            'OXPACK_OUTPUT',
            `cannot write the report ${options.report}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
            {
              hint: 'choose another path for --report (the executable itself was written)',
            },
          );
        }
      }
      out.line(summary(result, Boolean(options.resourcesOnly)));
    });
  program
    .command('inspect')
    .description('list the packed entries and the header of an executable or a resources file')
    .argument('<file>', 'an executable built by oxpack, or a .oxres file')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ oxpack inspect ./server            header, then every entry: kind, size, location\n  $ oxpack inspect app.oxres --json',
    )
    .action((file: string, opts: { json?: boolean }) => {
      const report = inspectFile(file);
      process.stdout.write(`${opts.json ? JSON.stringify(report, null, 2) : formatReport(report)}\n`);
    });
  program
    .command('verify')
    .description('check an executable or a resources file completely: index checksum, index and data SHA-256, every entry')
    .argument('<file>', 'an executable built by oxpack, or a .oxres file')
    .addHelpText('after', '\nExample:\n  $ oxpack verify ./server && echo intact   exit status 1 and the damage named otherwise')
    .action((file: string) => {
      const r = verifyFile(file);
      process.stdout.write(
        `${pc.green('ok')} ${file}: ${r.entries} entries, ${formatSize(r.bytes)}, index ${r.indexHash.slice(0, 16)}…, data ${r.dataHash.slice(0, 16)}…\n`,
      );
    });
  program
    .command('run')
    .description('run a resources file (written with --resources-only) on this Node')
    .argument('<file>', 'the .oxres file')
    .argument('[args...]', 'arguments for the app')
    .allowUnknownOption()
    .passThroughOptions()
    .helpOption(false)
    .action(async (file: string, args: string[]) => {
      const code = await runResources(file, args);
      if (code !== 0) process.exitCode = code;
    });

  return program;
}

/** While a build runs, an interrupt removes its temporary files before the process exits. */
function cleanUpOnSignals(out: Progress): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    removeTrackedSync();
    out.stop();
    process.stderr.write(`\n${pc.red('interrupted')}: nothing was written\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/**
 * A reader that stops early (`oxpack inspect app | head`) closes the pipe, and the next write fails
 * with EPIPE, which Node throws as an unhandled 'error' event with a stack trace. Stop quietly instead,
 * as Unix tools do: on stdout the command's output is no longer wanted; on stderr (the progress of a
 * build) the build goes on unheard. Not under `oxpack run`, whose streams are the app's own.
 */
function quietOnClosedPipes(): () => void {
  const onStdout = (err: NodeJS.ErrnoException): void => {
    if (err.code !== 'EPIPE') throw err;
    removeTrackedSync();
    process.exit();
  };
  const onStderr = (err: NodeJS.ErrnoException): void => {
    if (err.code !== 'EPIPE') throw err;
  };
  process.stdout.on('error', onStdout);
  process.stderr.on('error', onStderr);
  return () => {
    process.stdout.off('error', onStdout);
    process.stderr.off('error', onStderr);
  };
}

export async function main(argv: string[] = process.argv): Promise<number> {
  const restorePipes = quietOnClosedPipes();
  const program = createProgram();
  program.hook('preAction', (_, command) => {
    if (command.name() === 'run') restorePipes();
  });
  program.exitOverride();
  program.configureOutput({ outputError: (str, write) => write(`${pc.red('error')}: ${str.replace(/^error: /, '')}`) });
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      return code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help' ? 0 : EXIT_USAGE;
    }
    return printError(err);
  }
}

main().then(
  (code) => {
    // Success leaves the exit code alone: after `oxpack run`, it belongs to the app.
    if (code !== 0) process.exitCode = code;
  },
  (err) => {
    process.exitCode = printError(err);
  },
);
