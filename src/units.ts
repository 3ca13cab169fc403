/** Numbers as messages show them, shared by the build's step details and the commands' reports. */

/** 1 file, 2 files. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** 512 B, 3.4 kB, 99.5 MB (decimal units, as ls -h --si and npm show them). */
export function formatSize(bytes: number): string {
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} B`;
}
