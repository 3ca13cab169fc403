/**
 * Entry names: UTF-8, '/'-separated, relative to the app root. The root directory is the empty name.
 * The writer refuses anything else, so a name can always be mapped to exactly one virtual path and back.
 */

/** Returns why `name` is not a valid entry name, or undefined when it is. */
export function invalidNameReason(name: string): string | undefined {
  if (name === '') return undefined; // the root directory
  if (name.startsWith('/')) return 'it is absolute';
  if (name.endsWith('/')) return 'it ends with "/"';
  if (name.includes('\\')) return 'it contains "\\" (names use "/")';
  for (const part of name.split('/')) {
    if (part === '') return 'it contains an empty path component ("//")';
    if (part === '.' || part === '..') return `it contains a "${part}" component`;
  }
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return `it contains the control character U+${c.toString(16).padStart(4, '0')}`;
    // A lone surrogate has no UTF-8 encoding: the name would not survive the round trip.
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = name.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return 'it is not valid Unicode (lone surrogate)';
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return 'it is not valid Unicode (lone surrogate)';
    }
  }
  return undefined;
}

export function parentName(name: string): string {
  const slash = name.lastIndexOf('/');
  return slash === -1 ? '' : name.slice(0, slash);
}

export function baseName(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}
