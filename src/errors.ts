/**
 * Errors meant for the person running oxpack: a message that names the thing, and a hint that names
 * the fix. The CLI prints these without a stack trace; anything else is a bug and gets one.
 */
export class OxpackError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  /** Further lines (for example every unresolved import), printed after the message. */
  readonly details: string[];

  constructor(code: string, message: string, options: { hint?: string; details?: string[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OxpackError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? [];
  }
}

export function isOxpackError(err: unknown): err is OxpackError {
  return err instanceof OxpackError;
}
