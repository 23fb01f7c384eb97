import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { ConfigError, formatConfigPath, type ConfigIssue, type ConfigPath } from './config-error.js';
import {
  CHECK_KINDS,
  CONFIG_FILE,
  CheckDefinitionSchema,
  DgitConfigSchema,
  ForeignKeyCheckSchema,
  PolicySchema,
  TableConfigSchema,
  TablePolicySchema,
  type CheckDefinition,
  type DgitConfig,
} from './config-schema.js';
import { defaultCheckId, type ConfiguredCheck, type RowCountChange } from './configured-check.js';
import { parseDuration } from './duration.js';
import { didYouMean } from './spelling.js';

/** dgit.yml is configuration, not data: past this size it is refused. */
const MAX_CONFIG_BYTES = 1024 * 1024;

/** A parsed and structurally valid dgit.yml, with where each key is written. */
export interface LoadedConfig {
  file: string;
  text: string;
  /** The document as zod parsed it (defaults filled in). */
  config: DgitConfig;
  /** Every check, normalised, in file order. */
  checks: ConfiguredCheck[];
  /** Line and column of a key path's value (or of the nearest enclosing key that exists). */
  locate(path: ConfigPath, options?: { key?: boolean }): { line: number; column: number };
  /** An issue at a key path, ready for a ConfigError. */
  issueAt(path: ConfigPath, message: string, options?: { key?: boolean }): ConfigIssue;
}

/**
 * Parse dgit.yml: YAML syntax, then the zod schema, then the rules zod cannot say
 * (one of `column`/`columns`, bounds in order, unique ids). Every problem is
 * collected, so one run shows them all; a ConfigError names each by line and key
 * path. Whether tables and columns exist is checked against a revision by
 * `validateConfig` (config-validation.ts).
 */
export function parseConfig(text: string, file: string = CONFIG_FILE): LoadedConfig {
  const fileIssue = (message: string, line = 1, column = 1): ConfigIssue => ({ file, line, column, path: '', message });
  if (Buffer.byteLength(text, 'utf8') > MAX_CONFIG_BYTES) throw new ConfigError([fileIssue('the file is larger than 1 MB')]);

  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, version: '1.2' });
  if (document.errors.length > 0) {
    throw new ConfigError(
      document.errors.map((error) => {
        const position = error.linePos?.[0] ?? lineCounter.linePos(error.pos[0]);
        return fileIssue(`invalid YAML: ${yamlMessage(error.message)}`, position.line, position.col);
      }),
    );
  }
  const locator = new KeyLocator(document, lineCounter);
  const locate = (path: ConfigPath, options?: { key?: boolean }) => locator.locate(path, options?.key ?? false);
  const issueAt = (path: ConfigPath, message: string, options?: { key?: boolean }): ConfigIssue => {
    const { line, column } = locate(path, options);
    return { file, line, column, path: formatConfigPath(path), message };
  };

  let data: unknown;
  try {
    // A small alias budget: a "billion laughs" document must not expand in memory.
    data = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new ConfigError([fileIssue(`invalid YAML: ${error instanceof Error ? error.message : String(error)}`)]);
  }
  if (data === null || data === undefined) throw new ConfigError([fileIssue('the file is empty; it starts with `version: 1`')]);

  const parsed = DgitConfigSchema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.flatMap((issue) => describeZodIssue(issue, data, issueAt));
    throw new ConfigError(sortIssues(issues));
  }
  const { checks, issues } = normalizeChecks(parsed.data, issueAt, locate, file);
  if (issues.length > 0) throw new ConfigError(sortIssues(issues));
  return { file, text, config: parsed.data, checks, locate, issueAt };
}

export function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.column - b.column);
}

/** The yaml library's message without its own position and excerpt (we give the line ourselves). */
function yamlMessage(message: string): string {
  return message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '').trim();
}

/** Finds where a key path is written in the YAML document. */
class KeyLocator {
  constructor(
    private readonly document: Document,
    private readonly lineCounter: LineCounter,
  ) {}

  /** The value's position, or with `key` the key's; for a path that is not there, the nearest enclosing one. */
  locate(path: ConfigPath, key: boolean): { line: number; column: number } {
    let node: unknown = this.document.contents;
    let position = this.position(node) ?? { line: 1, column: 1 };
    for (let i = 0; i < path.length; i++) {
      const segment = path[i]!;
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
        if (!pair) return position;
        const keyPosition = this.position(pair.key);
        const valuePosition = this.position(pair.value);
        if (last && key) return keyPosition ?? position;
        position = valuePosition ?? keyPosition ?? position;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment];
        if (item === undefined) return position;
        position = this.position(item) ?? position;
        node = item;
      } else {
        return position;
      }
    }
    return position;
  }

  private position(node: unknown): { line: number; column: number } | undefined {
    const range = (node as YamlNode | null | undefined)?.range;
    if (!range) return undefined;
    const { line, col } = this.lineCounter.linePos(range[0]);
    return { line, column: col };
  }
}

// ---- zod issues as people read them ------------------------------------------------------

type IssueAt = LoadedConfig['issueAt'];

const KNOWN_KEYS = new Set<string>([
  ...Object.keys(DgitConfigSchema.shape),
  ...Object.keys(TableConfigSchema.shape),
  ...Object.keys(PolicySchema.shape),
  ...Object.keys(TablePolicySchema.shape),
  ...Object.keys(ForeignKeyCheckSchema.shape.references.shape),
  ...CheckDefinitionSchema.options.flatMap((option) => Object.keys(option.shape)),
]);

function valueAt(data: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let value = data;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value);
  return text.length > 60 ? text.slice(0, 59) + '…' : text;
}

const EXPECTED: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  null: 'null',
};

function describeZodIssue(issue: z.core.$ZodIssue, data: unknown, issueAt: IssueAt): ConfigIssue[] {
  const path = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
  const actual = valueAt(data, path);
  switch (issue.code) {
    case 'invalid_union': {
      if ('discriminator' in issue && issue.discriminator === 'kind') {
        if (actual === undefined) return [issueAt(path.slice(0, -1), `a check needs a "kind": one of ${CHECK_KINDS.join(', ')}`)];
        if (typeof actual !== 'string') return [issueAt(path, `expected a check kind (one of ${CHECK_KINDS.join(', ')}), got ${describeValue(actual)}`)];
        return [issueAt(path, `unknown check kind ${JSON.stringify(actual)}${didYouMean(actual, CHECK_KINDS)}; expected one of ${CHECK_KINDS.join(', ')}`)];
      }
      return [issueAt(path, `${issue.message}, got ${describeValue(actual)}`)];
    }
    case 'invalid_type': {
      if (actual === undefined) return [issueAt(path.slice(0, -1), `missing required key "${String(path[path.length - 1])}"`)];
      if (issue.expected === 'int') return [issueAt(path, `expected a whole number, got ${describeValue(actual)}`)];
      return [issueAt(path, `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describeValue(actual)}`)];
    }
    case 'invalid_value':
      if (actual === undefined) return [issueAt(path.slice(0, -1), `missing required key "${String(path[path.length - 1])}"`)];
      return [issueAt(path, `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}, got ${describeValue(actual)}`)];
    case 'unrecognized_keys':
      return issue.keys.map((key) => issueAt([...path, key], `unknown key ${JSON.stringify(key)}${didYouMean(key, KNOWN_KEYS)}`, { key: true }));
    case 'too_small': {
      const minimum = Number(issue.minimum);
      if (issue.origin === 'array') return [issueAt(path, `needs at least ${minimum} item${minimum === 1 ? '' : 's'}`)];
      if (issue.origin === 'string') return [issueAt(path, minimum <= 1 ? 'must not be empty' : `must be at least ${minimum} characters`)];
      return [issueAt(path, `must be at least ${minimum}, got ${describeValue(actual)}`)];
    }
    case 'too_big': {
      const maximum = Number(issue.maximum);
      if (issue.origin === 'array') return [issueAt(path, `has more than ${maximum} items`)];
      if (issue.origin === 'string') return [issueAt(path, `is longer than ${maximum} characters`)];
      return [issueAt(path, `must be at most ${maximum}, got ${describeValue(actual)}`)];
    }
    case 'invalid_format':
      return [issueAt(path, `${issue.message}, got ${describeValue(actual)}`)];
    default:
      return [issueAt(path, issue.message)];
  }
}

// ---- rules zod does not express ---------------------------------------------------------

function normalizeChecks(
  config: DgitConfig,
  issueAt: IssueAt,
  locate: LoadedConfig['locate'],
  file: string,
): { checks: ConfiguredCheck[]; issues: ConfigIssue[] } {
  const checks: ConfiguredCheck[] = [];
  const issues: ConfigIssue[] = [];
  const idLines = new Map<string, number>();
  for (const [table, tableConfig] of Object.entries(config.tables)) {
    tableConfig.checks.forEach((definition, index) => {
      const path: Array<string | number> = ['tables', table, 'checks', index];
      const before = issues.length;
      const columns = (where: ConfigPath, spec: { column?: string; columns?: string[] }): string[] => {
        if (spec.column !== undefined && spec.columns !== undefined) {
          issues.push(issueAt([...where, 'columns'], 'give either "column" or "columns", not both', { key: true }));
          return [];
        }
        if (spec.column === undefined && spec.columns === undefined) {
          issues.push(issueAt(where, 'needs "column" (one column) or "columns" (a list)'));
          return [];
        }
        const list = spec.columns ?? [spec.column!];
        if (new Set(list).size !== list.length) issues.push(issueAt([...where, 'columns'], 'names a column twice'));
        return list;
      };
      const body = normalizeDefinition(definition, path, issueAt, issues, columns);
      if (!body || issues.length > before) return;
      const location = { file, line: locate(path).line, path: formatConfigPath(path), keys: path };
      const id = definition.name ?? defaultCheckId(table, definition.kind, 'columns' in body ? body.columns : 'column' in body ? [body.column] : []);
      const earlier = idLines.get(id);
      if (earlier !== undefined) {
        issues.push(issueAt(path, `check id ${JSON.stringify(id)} is already used by the check at line ${earlier}; give one of them a "name"`));
        return;
      }
      idLines.set(id, location.line);
      checks.push({ id, table, severity: definition.severity, description: definition.description, location, ...body } as ConfiguredCheck);
    });
  }
  return { checks, issues };
}

type CheckBody = DistributiveOmit<ConfiguredCheck, 'id' | 'table' | 'severity' | 'description' | 'location'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function normalizeDefinition(
  definition: CheckDefinition,
  path: ConfigPath,
  issueAt: IssueAt,
  issues: ConfigIssue[],
  columns: (where: ConfigPath, spec: { column?: string; columns?: string[] }) => string[],
): CheckBody | undefined {
  switch (definition.kind) {
    case 'not_null':
      return { kind: 'not_null', column: definition.column };
    case 'unique':
      if (definition.by !== undefined && definition.keep === 'first') issues.push(issueAt([...path, 'by'], '"by" goes with keep: newest (the first row by key needs no column)', { key: true }));
      return {
        kind: 'unique',
        columns: columns(path, definition),
        keep: definition.keep === 'first' ? { keep: 'first' } : definition.by !== undefined ? { keep: 'newest', by: definition.by } : { keep: 'latest-load' },
      };
    case 'accepted_values':
      return { kind: 'accepted_values', column: definition.column, values: definition.values, caseSensitive: definition.case_sensitive };
    case 'range': {
      const { min, max } = definition;
      if (min === undefined && max === undefined) issues.push(issueAt(path, 'a range check needs "min", "max" or both'));
      for (const [name, bound] of [['min', min], ['max', max]] as const)
        if ((typeof bound === 'number' && Number.isNaN(bound)) || (typeof bound === 'string' && /^\s*[+-]?nan\s*$/i.test(bound)))
          issues.push(issueAt([...path, name], `${name} cannot be NaN: NaN lies in no range (a range check fails NaN values)`));
      if (typeof min === 'number' && typeof max === 'number' && min > max) issues.push(issueAt([...path, 'min'], `min ${min} is greater than max ${max}`));
      return { kind: 'range', column: definition.column, min, max, minInclusive: definition.min_inclusive, maxInclusive: definition.max_inclusive };
    }
    case 'pattern':
      return { kind: 'pattern', column: definition.column, pattern: definition.pattern, caseSensitive: definition.case_sensitive };
    case 'row_count': {
      const { min, max } = definition;
      if (min === undefined && max === undefined && definition.max_change === undefined)
        issues.push(issueAt(path, 'a row_count check needs "min", "max" or "max_change"'));
      if (min !== undefined && max !== undefined && min > max) issues.push(issueAt([...path, 'min'], `min ${min} is greater than max ${max}`));
      let maxChange: RowCountChange | undefined;
      if (typeof definition.max_change === 'number') maxChange = { rows: definition.max_change };
      else if (typeof definition.max_change === 'string') maxChange = { percent: Number(definition.max_change.slice(0, -1)) };
      return { kind: 'row_count', min, max, maxChange };
    }
    case 'foreign_key': {
      const own = columns(path, definition);
      const referenced = columns([...path, 'references'], definition.references);
      if (own.length > 0 && referenced.length > 0 && own.length !== referenced.length)
        issues.push(issueAt([...path, 'references'], `references ${referenced.length} column(s) but the check names ${own.length}`));
      return { kind: 'foreign_key', columns: own, references: { table: definition.references.table, columns: referenced } };
    }
    case 'freshness': {
      const seconds = parseDuration(definition.max_age) ?? 0;
      if (seconds <= 0) issues.push(issueAt([...path, 'max_age'], 'must be longer than 0'));
      return { kind: 'freshness', column: definition.column, maxAge: definition.max_age, maxAgeSeconds: seconds };
    }
    case 'sql':
      return { kind: 'sql', sql: definition.sql };
  }
}
