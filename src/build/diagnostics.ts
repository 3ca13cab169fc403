/** Problems found during a build, reported with the file (and line) they come from. */
export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  severity: Severity;
  /** Stable identifier, e.g. "unresolved", "dynamic-require", "syntax". */
  code: string;
  message: string;
  file?: string;
  line?: number;
  column?: number;
  specifier?: string;
}

export function formatDiagnostic(d: Diagnostic, cwd: string = process.cwd()): string {
  const where = d.file ? `${relativeTo(cwd, d.file)}${d.line ? `:${d.line}:${d.column ?? 1}` : ''}: ` : '';
  return `${where}${d.message}`;
}

function relativeTo(cwd: string, file: string): string {
  return file.startsWith(cwd + '/') ? file.slice(cwd.length + 1) : file;
}
