/**
 * The copy of the index that an executable carries beside its blob (a SEA asset of its own, written by
 * the build, read by the runtime's start). When the blob's index equals it byte for byte, the index
 * arrived intact: two places in the file took the same damage, or none. Buffer.equals compares them
 * natively, about 0.01 ms for ESLint's 110 kB index, where the index checksum (checksum.ts) is
 * interpreted code run once: about 2 ms there, and more as an app packs more files. When they differ,
 * the checksum decides which of the two is damaged, so a damaged copy alone never stops an app.
 *
 * The copy leaves out the magic bytes (which the reader checks anyway), so that nothing searching an
 * executable for a blob (locate.ts) can take the copy for one.
 */
import { H_INDEX_END, HEADER_SIZE, MAGIC } from './layout.js';

/** What the build stores: the blob's bytes [8, index_end). */
export function indexCopyOf(blob: Buffer): Buffer {
  return blob.subarray(MAGIC.length, indexEnd(blob));
}

/** Whether `copy` is exactly the index of `blob` (false for a blob too short to have an index). */
export function matchesIndexCopy(blob: Buffer, copy: Uint8Array): boolean {
  const end = indexEnd(blob);
  return end > MAGIC.length && copy.length === end - MAGIC.length && blob.subarray(MAGIC.length, end).equals(copy);
}

function indexEnd(blob: Buffer): number {
  if (blob.length < HEADER_SIZE) return 0;
  const end = blob.readUInt32LE(H_INDEX_END);
  return end <= blob.length ? end : 0;
}
