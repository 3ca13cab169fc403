/**
 * postject in a worker thread. Its WebAssembly rewrites a 100 MB binary in one synchronous call of
 * several seconds; off the main thread, the command line keeps its progress line moving and answers
 * Ctrl-C at once (removing the temporary file) instead of after the call.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { inject } from 'postject';

export interface PostjectJob {
  file: string;
  blob: Uint8Array;
  sentinelFuse: string;
  machoSegmentName?: string;
}

const job = workerData as PostjectJob;
// LIEF's chatter ("warning: can't find string table section") stays out of the user's terminal.
console.log = () => undefined;
console.warn = () => undefined;
await inject(job.file, 'NODE_SEA_BLOB', Buffer.from(job.blob.buffer, job.blob.byteOffset, job.blob.byteLength), {
  sentinelFuse: job.sentinelFuse,
  ...(job.machoSegmentName ? { machoSegmentName: job.machoSegmentName } : {}),
});
parentPort?.postMessage('done');
