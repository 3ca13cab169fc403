/**
 * How the command line talks to a person: whether its messages are coloured, and how build progress
 * shows. Decisions are made for stderr, where every message goes (stdout carries only what a command
 * outputs: `inspect`, `verify`, the app under `run`).
 */
import pc from 'picocolors';

export type Colors = ReturnType<typeof pc.createColors>;

/**
 * Colour, as Node's own tty.getColorDepth() decides it: FORCE_COLOR turns it on (off when "0" or
 * "false") whatever the stream; otherwise NO_COLOR (any non-empty value, see no-color.org) or
 * TERM=dumb turn it off, and it is on only when stderr is a terminal. A CI variable alone never turns
 * it on (picocolors' default does): logs read from a pipe stay plain text.
 */
export function wantsColor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  if ((env.NO_COLOR ?? '') !== '' || env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

export const colors: Colors = pc.createColors(wantsColor(process.stderr));

export interface ProgressOptions {
  quiet?: boolean;
  verbose?: boolean;
}

/** A step of a long task as the user sees it: a label while it runs, a detail and a time when done. */
export interface StepView {
  name: string;
  /** What is happening, for the live line: "tracing imports". */
  running: string;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const FRAME_MS = 100;

/**
 * Progress of the build on stderr. On a terminal one live line shows the running step and its time,
 * redrawn in place and erased when the step ends; every finished step leaves one plain line. Without
 * a terminal (a pipe, a CI log), or one that reports no width, only those plain lines are written.
 * --quiet writes nothing; --verbose also writes a line when each step starts.
 */
export class Progress {
  private readonly live: boolean;
  private current: { view: StepView; started: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;
  private drawn = false;

  constructor(
    private readonly options: ProgressOptions,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly c: Colors = colors,
  ) {
    // A pseudo-terminal may report 0 columns: redrawing a line of unknown width is not possible.
    this.live = !options.quiet && !options.verbose && stream.isTTY === true && (stream.columns ?? 0) > 0;
  }

  /** A message line (a warning, a download), written above the live line. */
  line(text: string): void {
    if (this.options.quiet) return;
    this.erase();
    this.stream.write(`${text}\n`);
    this.draw();
  }

  start(view: StepView): void {
    this.current = { view, started: performance.now() };
    if (this.options.verbose) this.line(this.c.dim(`… ${view.name}`));
    if (!this.live) return;
    this.draw();
    if (!this.timer) {
      this.timer = setInterval(() => {
        this.frame = (this.frame + 1) % SPINNER.length;
        this.draw();
      }, FRAME_MS);
      this.timer.unref(); // progress never keeps the process alive
    }
  }

  done(name: string, ms: number, detail?: string): void {
    this.current = undefined;
    this.stopTimer();
    this.line(`${this.c.green('✓')} ${name}${detail ? `: ${detail}` : ''} ${this.c.dim(`(${seconds(ms)})`)}`);
  }

  /** The task ended (well or not): the live line goes away. */
  stop(): void {
    this.current = undefined;
    this.stopTimer();
    this.erase();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private draw(): void {
    if (!this.live || !this.current) return;
    const { view, started } = this.current;
    const text = `${SPINNER[this.frame]} ${view.running}… ${seconds(performance.now() - started)}`;
    // Never wider than the terminal: a wrapped line could not be erased with one carriage return.
    const width = Math.max(1, (this.stream.columns ?? 80) - 1);
    this.stream.write(`\r\x1b[2K${this.c.cyan(text.slice(0, width))}`);
    this.drawn = true;
  }

  private erase(): void {
    if (!this.drawn) return;
    this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
