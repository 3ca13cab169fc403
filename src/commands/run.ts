/**
 * `oxpack run app.oxres [args...]`: runs a resources file on the Node running oxpack, in a process of
 * its own started from the same runtime entry a packed executable runs (dist/templates/main.cjs): the
 * app gets a clean process whose argv, exit code and signals are its own, and the finder is installed
 * before Node loads any of its ES module machinery, exactly as inside an executable.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { bootstrapPath } from '../build/sea.js';
import { OxpackError } from '../errors.js';

export function runResources(file: string, args: readonly string[]): Promise<number> {
  const abs = path.resolve(file);
  if (!existsSync(abs)) {
    throw new OxpackError('OXPACK_RUN', `cannot run ${file}: it does not exist`, {
      hint: 'pass a resources file written by `oxpack <entry> --resources-only -o <file>`',
    });
  }
  const child = spawn(process.execPath, [bootstrapPath(), abs, ...args], { stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) process.on(signal, forward);
  // Ctrl-C reaches the child through the terminal's process group; this process only waits for it.
  process.on('SIGINT', () => undefined);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal) {
        process.removeAllListeners(signal);
        process.kill(process.pid, signal);
      }
      resolve(code ?? 1);
    });
  });
}
