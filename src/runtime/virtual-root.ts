/**
 * Maps absolute paths to entry names and back. Packed files live under a folder inside the container
 * (the executable or the resources file): "<execPath>/app/<name>". A regular file cannot have children,
 * so no real path can ever collide with a virtual one. The container itself stays the real file it
 * is, and other paths inside it are missing (besideRoot).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Name of the folder, inside the container, that the app's root is mounted at. */
export const MOUNT = 'app';

export class VirtualRoot {
  /** Absolute path of the app root, e.g. "/usr/local/bin/tool/app". */
  readonly path: string;
  private readonly prefix: string;
  private readonly windows: boolean;

  /** The folder above the root, "<container>/": the container, when the root is mounted in one. */
  private readonly containerPrefix: string;
  /** Whether the root is mounted in a container file; a function asks once, when first needed. */
  private mounted: boolean | (() => boolean);

  /**
   * `inContainer`: whether the folder above the root is the file it is mounted in (forContainer), or
   * a function that finds out, called only when a path beside the root is first looked at (it may
   * cost a stat, which a start need not pay).
   */
  constructor(rootPath: string, inContainer: boolean | (() => boolean) = false) {
    this.path = path.resolve(rootPath);
    this.prefix = this.path.endsWith(path.sep) ? this.path : this.path + path.sep;
    this.windows = path.sep === '\\';
    this.containerPrefix = path.dirname(this.path) + path.sep;
    this.mounted = inContainer;
  }

  /** The file the root is mounted in ("<container>/app"), when it is. */
  get container(): string | undefined {
    if (typeof this.mounted === 'function') this.mounted = this.mounted();
    return this.mounted ? this.containerPrefix.slice(0, -1) : undefined;
  }

  static forContainer(container: string): VirtualRoot {
    return new VirtualRoot(path.join(path.resolve(container), MOUNT), true);
  }

  /**
   * Entry name for an absolute path under the root ("" for the root itself), or undefined for any
   * other path. `..` segments are applied first, so a path that climbs out of the root is real.
   */
  nameOf(p: string): string | undefined {
    let normalized = p;
    // `.`, `..` and doubled separators can lead into the root from outside it, and out of it from inside.
    if (needsNormalizing(p, this.windows)) normalized = path.resolve(p);
    if (!this.startsWithRoot(normalized)) return undefined;
    if (normalized.length === this.path.length) return '';
    let name = normalized.slice(this.prefix.length);
    if (name.endsWith(path.sep)) name = name.slice(0, -1);
    return this.windows ? name.replace(/\\/g, '/') : name;
  }

  /** Absolute path of an entry name. */
  pathOf(name: string): string {
    if (name === '') return this.path;
    return this.prefix + (this.windows ? name.replace(/\//g, '\\') : name);
  }

  /** Whether `p` (a path string, Buffer or file: URL) is under the root. Cheap for real paths. */
  contains(p: string): boolean {
    return this.nameOf(p) !== undefined;
  }

  /**
   * Whether `p` is inside the container but not under the root: "<execPath>/package.json", where
   * nothing can be. Code that walks up the folders above a packed file looking for a file (config
   * searches such as cosmiconfig's, find-up) asks for such paths, and the real fs answers ENOTDIR (the
   * container is a file), an error such code does not expect where node answers ENOENT: the fs
   * overlay answers them as missing. Only for a root in a container file; cheap for paths elsewhere.
   */
  besideRoot(p: string): boolean {
    const container = this.containerPrefix;
    const normalized = needsNormalizing(p, this.windows) ? path.resolve(p) : p;
    const inside = this.windows ? normalized.toLowerCase().startsWith(container.toLowerCase()) : normalized.startsWith(container);
    return inside && normalized.length > container.length && !this.startsWithRoot(normalized) && this.container !== undefined;
  }

  private startsWithRoot(p: string): boolean {
    if (this.windows) {
      const lower = p.toLowerCase();
      const root = this.path.toLowerCase();
      return lower.startsWith(root) && (lower.length === root.length || lower[root.length] === '\\' || lower[root.length] === '/');
    }
    return p.startsWith(this.path) && (p.length === this.path.length || p[this.path.length] === '/');
  }
}

/** Whether `p` has `.` or `..` segments or doubled separators (dotfiles such as `/.config` do not count). */
function needsNormalizing(p: string, windows: boolean): boolean {
  if (windows) return /(^|[\\/])\.\.?([\\/]|$)|[\\/][\\/]|\//.test(p);
  return /(^|\/)\.\.?(\/|$)|\/\//.test(p);
}

/**
 * A path argument as fs accepts it, as a string: strings are paths (never URLs), Buffers are UTF-8
 * paths, URL objects must be file: URLs. Anything else (an fd, a FileHandle) gives undefined.
 */
export function pathArgument(p: unknown): string | undefined {
  if (typeof p === 'string') return p;
  if (Buffer.isBuffer(p)) return p.toString('utf8');
  if (p instanceof URL) return p.protocol === 'file:' ? fileURLToPath(p) : undefined;
  return undefined;
}
