import { InvalidInputError } from '../errors/index.js';

/** A path into the configuration document: keys and list indexes. */
export type ConfigPath = ReadonlyArray<string | number>;

/** One problem of a dgit.yml, where it is. */
export interface ConfigIssue {
  file: string;
  /** 1-based line of the key or value the problem is about. */
  line: number;
  /** 1-based column. */
  column: number;
  /** The key path as people read it: `tables.flights.checks[2].kind`; empty for the whole file. */
  path: string;
  message: string;
}

/**
 * An invalid dgit.yml: every problem found, each naming its line and key path, in
 * the form compilers use (`dgit.yml:12: tables.flights.checks[2].kind: unknown
 * check kind "not_nul"`), so editors and CI logs link to the line.
 */
export class ConfigError extends InvalidInputError {
  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map(formatConfigIssue).join('\n'));
    this.name = 'ConfigError';
  }
}

export function formatConfigIssue(issue: ConfigIssue): string {
  return `${issue.file}:${issue.line}: ${issue.path ? `${issue.path}: ` : ''}${issue.message}`;
}

/** `tables.flights.checks[2].kind`; keys that are not plain words are quoted: `defaults["US Gross"]`. */
export function formatConfigPath(path: ConfigPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
