/**
 * Temporary files a build is writing right now, so that an interrupted build (Ctrl-C, SIGTERM) can
 * remove them before it exits: nothing half-written is ever left beside the output.
 */
import { unlinkSync } from 'node:fs';

const live = new Set<string>();

export function track(file: string): void {
  live.add(file);
}

export function untrack(file: string): void {
  live.delete(file);
}

export function removeTrackedSync(): void {
  for (const file of live) {
    try {
      unlinkSync(file);
    } catch {
      /* already gone */
    }
  }
  live.clear();
}
