/**
 * The build report: what went into an executable, where its bytes come from, and what was left to
 * the app. Printed with --verbose; written as JSON with --report <file>, schema "oxpack-report/1":
 *
 *   { schema, oxpack, output, size, resourcesSize, entry,
 *     target: { version, platform, arch, binary },
 *     files, packages: [{ name, version, path, files, bytes }]  (largest first),
 *     addons: [{ name, location }], fileInstalls: [path],
 *     excluded: { files, bytes }  (left out by --exclude),
 *     unresolved: [{ file, line, column, specifier, message }]  (optional requires left to the app),
 *     diagnostics: [{ severity, code, message, file?, line?, column?, specifier? }],
 *     timings: { target, trace, collect, code-cache, serialize, inject }  (milliseconds) }
 *
 * Fields are only ever added to this schema; a change of meaning gets a new schema name.
 */
import path from 'node:path';
import { formatSize, plural } from '../units.js';
import type { BuildResult } from '../build/build.js';
import { oxpackVersion } from '../version.js';

export const REPORT_SCHEMA = 'oxpack-report/1';

export function buildReport(result: BuildResult): Record<string, unknown> {
  return {
    schema: REPORT_SCHEMA,
    oxpack: oxpackVersion(),
    output: result.output,
    size: result.size,
    resourcesSize: result.resourcesSize,
    entry: result.entry,
    target: result.target,
    files: result.files,
    packages: [...result.packages].sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name)),
    addons: result.addons,
    fileInstalls: result.fileInstalls,
    excluded: result.excluded,
    unresolved: result.diagnostics
      .filter((d) => d.code === 'unresolved')
      .map(({ file, line, column, specifier, message }) => ({ file, line, column, specifier, message })),
    diagnostics: result.diagnostics,
    timings: result.timings,
  };
}

/** The report as lines for a terminal. */
export function formatBuildReport(result: BuildResult, cwd: string = process.cwd()): string {
  const lines: string[] = [];
  const rel = (p: string): string => path.relative(cwd, p) || p;
  lines.push(`target: Node ${result.target.version} ${result.target.platform}-${result.target.arch} (${result.target.binary})`);
  lines.push(
    `packed: ${plural(result.files, 'file')}, ${plural(result.packages.length, 'package')}, ${formatSize(result.resourcesSize)} of resources`,
  );
  if (result.excluded.files > 0)
    lines.push(`left out by --exclude: ${plural(result.excluded.files, 'file')}, ${formatSize(result.excluded.bytes)}`);
  const largest = [...result.packages].sort((a, b) => b.bytes - a.bytes).slice(0, 10);
  if (largest.length > 0) {
    lines.push('largest packages:');
    for (const p of largest)
      lines.push(`  ${formatSize(p.bytes).padStart(9)}  ${p.name}${p.version ? `@${p.version}` : ''} (${p.files} files)`);
  }
  if (result.addons.length > 0) {
    lines.push('native addons:');
    for (const a of result.addons) lines.push(`  ${a.name}: ${a.location}`);
  }
  const unresolved = result.diagnostics.filter((d) => d.code === 'unresolved');
  if (unresolved.length > 0) lines.push(`unresolved optional requires, left to the app: ${unresolved.length}`);
  lines.push(
    `time: ${Object.entries(result.timings)
      .map(([step, ms]) => `${step} ${(ms / 1000).toFixed(1)} s`)
      .join(', ')}`,
  );
  lines.push(`output: ${rel(result.output)}`);
  return lines.join('\n');
}
