/**
 * `oxpack verify <file>`: checks an executable or a resources file completely: the index checksum and hash, the
 * SHA-256 of all data, and every entry (compressed ones are decompressed). What the executable checks
 * at every start is the index checksum only (and both SHA-256 hashes when it was built with --verify-data).
 */
import { OxpackError } from '../errors.js';
import { readPackedFile } from '../format/locate.js';

export interface VerifyReport {
  file: string;
  entries: number;
  bytes: number;
  indexHash: string;
  dataHash: string;
}

export function verifyFile(file: string): VerifyReport {
  const { index } = readPackedFile(file);
  try {
    index.verifyHashes();
    for (let i = 1; i < index.count; i++) if (index.kindName(i) !== 'directory' && !index.isFilesystemRelative(i)) index.contents(i);
  } catch (err) {
    throw new OxpackError('OXPACK_DAMAGED', `${file} is damaged: ${(err as Error).message}`, {
      hint: 'rebuild it with oxpack (or download it again)',
    });
  }
  return { file, entries: index.count - 1, bytes: index.buffer.length, indexHash: index.hash, dataHash: index.dataHash };
}
