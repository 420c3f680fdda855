// Config errors: every problem found in a file, each with its path, line and reason.
import { LbError } from '../errors.js';

export interface ConfigIssue {
  /** Where in the file: `pools.app.servers[2].port`; empty for the file as a whole. */
  path: string;
  /** 1-based line in the file, when known. */
  line?: number;
  message: string;
}

/** `pools.app.servers[2].port (line 31): expected a number 1-65535` */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.path === '' ? 'file' : issue.path;
  const line = issue.line === undefined ? '' : ` (line ${issue.line})`;
  return `${where}${line}: ${issue.message}`;
}

/** Path segments as an operator reads them: `pools.app.servers[2].port`. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(String(s))) out += out === '' ? String(s) : `.${String(s)}`;
    else out += `[${JSON.stringify(String(s))}]`;
  }
  return out;
}

/** Thrown by loadConfig: `.issues` lists every problem, the message too (one a line). */
export class ConfigError extends LbError {
  readonly issues: readonly ConfigIssue[];
  readonly file: string;
  constructor(file: string, issues: readonly ConfigIssue[]) {
    const n = issues.length;
    super('ERR_CONFIG', `config ${file} has ${n} error${n === 1 ? '' : 's'}:\n`
      + issues.map((i) => `  ${formatIssue(i)}`).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
    this.file = file;
  }
}
