/**
 * Finding packed resources in a file: at its start (a resources file) or anywhere inside it (an
 * executable, where the blob sits in the injected SEA asset). Used by the build (to see whether an
 * output already holds a blob) and by the inspect and verify commands.
 */
import { readFileSync } from 'node:fs';
import { OxpackError } from '../errors.js';
import { FormatError, H_TOTAL_LENGTH, MAGIC } from './layout.js';
import { PackedIndex } from './reader.js';

/** Finds and validates the packed resources in `bytes` (a resources file, or an executable holding one). */
export function locateBlob(bytes: Buffer): { index: PackedIndex; offset: number } {
  let firstError: Error | undefined;
  for (let at = bytes.indexOf(MAGIC); at !== -1; at = bytes.indexOf(MAGIC, at + 1)) {
    if (at + H_TOTAL_LENGTH + 4 > bytes.length) break;
    const length = bytes.readUInt32LE(at + H_TOTAL_LENGTH);
    try {
      return { index: PackedIndex.from(bytes.subarray(at, Math.min(bytes.length, at + length))), offset: at };
    } catch (err) {
      firstError ??= err as Error;
      if (at === 0) break; // a resources file: what starts it is the blob
    }
  }
  if (firstError instanceof FormatError) throw new OxpackError('OXPACK_DAMAGED', `the packed resources are damaged: ${firstError.message}`);
  throw new OxpackError('OXPACK_NOT_PACKED', 'no oxpack resources found in this file', {
    hint: 'pass an executable built by oxpack or a resources file written with --resources-only',
  });
}

/** Reads `file` and locates its packed resources; errors name the file. */
export function readPackedFile(file: string): { bytes: Buffer; index: PackedIndex; offset: number } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new OxpackError('OXPACK_READ', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return { bytes, ...locateBlob(bytes) };
  } catch (err) {
    if (err instanceof OxpackError) throw new OxpackError(err.code, `${file}: ${err.message}`, err.hint ? { hint: err.hint } : {});
    throw err;
  }
}
