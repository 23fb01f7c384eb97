import { z } from 'zod';

/**
 * The schema of `dgit.yml`, the repository's configuration at the root of every
 * commit's tree: data-quality checks per table, values the healer may fill in, and
 * the policy that bounds what the healer may change. Kept free of transforms so
 * that `z.toJSONSchema` describes exactly what a user writes (see json-schema.ts);
 * normalising (ids, `column` vs `columns`) happens in config-file.ts.
 */

/** The file's name at the root of a tree. */
export const CONFIG_FILE = 'dgit.yml';

export const CHECK_KINDS = [
  'not_null',
  'unique',
  'accepted_values',
  'range',
  'pattern',
  'row_count',
  'foreign_key',
  'freshness',
  'sql',
] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

export const SEVERITIES = ['error', 'warn'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** A duration: a number and a unit, optionally repeated: `90m`, `36h`, `7d`, `1d12h`, `2w`. */
export const DURATION_PATTERN = /^(\d+(s|m|h|d|w))+$/;
/** A change bound in percent of the parent's row count: `10%`, `2.5%`. */
export const PERCENT_PATTERN = /^\d+(\.\d+)?%$/;
/** A check name: plain enough for a command line, a URL and a GitHub annotation title. */
export const CHECK_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.:+\-/]*$/;

const ColumnName = z.string().min(1).max(255).describe('a column of the table');
const Literal = z.union([z.string(), z.number(), z.boolean()], { error: 'expected a string, a number or a boolean' });

/** Fields every check has. */
const checkFields = {
  name: z
    .string()
    .max(128)
    .regex(CHECK_NAME_PATTERN, { error: 'a check name uses letters, digits and _ . : + - / and starts with a letter, digit or _' })
    .optional()
    .describe('the id of the check in results; default <table>.<column>.<kind> (columns joined by +)'),
  description: z.string().max(2000).optional().describe('why the check exists, shown with its results'),
  severity: z
    .enum(SEVERITIES, { error: 'expected "error" or "warn"' })
    .default('error')
    .describe('error (the default) fails `dgit check`; warn is reported but does not fail'),
};

const oneOrSeveralColumns = {
  column: ColumnName.optional().describe('the column (or use `columns` for several)'),
  columns: z.array(ColumnName).min(1).optional().describe('several columns, checked together'),
};

export const NotNullCheckSchema = z
  .strictObject({ kind: z.literal('not_null'), column: ColumnName, ...checkFields })
  .describe('every row has a value in the column');

export const UniqueCheckSchema = z
  .strictObject({
    kind: z.literal('unique'),
    ...oneOrSeveralColumns,
    keep: z
      .enum(['newest', 'first'], { error: 'expected "newest" or "first"' })
      .optional()
      .describe('which row of a group of duplicates the healer keeps: newest (the default) or first by primary key'),
    by: ColumnName.optional().describe('with keep: newest, the column whose greatest value is the newest row; omitted: the row of the latest load (the commit that brought it)'),
    ...checkFields,
  })
  .describe('no two rows share a value of the column (or the combination of columns); rows with a null there are not compared');

export const AcceptedValuesCheckSchema = z
  .strictObject({
    kind: z.literal('accepted_values'),
    column: ColumnName,
    values: z.array(Literal).min(1).describe('the values allowed'),
    case_sensitive: z.boolean().default(true).describe('false: compare text ignoring case'),
    ...checkFields,
  })
  .describe('every non-null value is one of `values`');

export const RangeCheckSchema = z
  .strictObject({
    kind: z.literal('range'),
    column: ColumnName,
    min: z.union([z.number(), z.string()], { error: 'expected a number, or a date or timestamp as a string' }).optional(),
    max: z.union([z.number(), z.string()], { error: 'expected a number, or a date or timestamp as a string' }).optional(),
    min_inclusive: z.boolean().default(true).describe('whether min itself is allowed (default true)'),
    max_inclusive: z.boolean().default(true).describe('whether max itself is allowed (default true)'),
    ...checkFields,
  })
  .describe('every non-null value lies between min and max (give at least one)');

export const PatternCheckSchema = z
  .strictObject({
    kind: z.literal('pattern'),
    column: ColumnName,
    pattern: z.string().min(1).describe('a regular expression (RE2 syntax, as DuckDB runs it) that must be found in the value; anchor with ^ and $ to match all of it'),
    case_sensitive: z.boolean().default(true),
    ...checkFields,
  })
  .describe('every non-null value matches the regular expression');

export const RowCountCheckSchema = z
  .strictObject({
    kind: z.literal('row_count'),
    min: z.number().int().min(0).optional().describe('fewest rows allowed'),
    max: z.number().int().min(0).optional().describe('most rows allowed'),
    max_change: z
      .union([z.number().int().min(0), z.string().regex(PERCENT_PATTERN, { error: 'expected a number of rows or a percentage like "10%"' })], {
        error: 'expected a number of rows or a percentage like "10%"',
      })
      .optional()
      .describe('largest change against the first parent commit, in rows (100) or percent ("10%")'),
    ...checkFields,
  })
  .describe('the number of rows is within bounds, and did not change too much since the parent commit');

export const ForeignKeyCheckSchema = z
  .strictObject({
    kind: z.literal('foreign_key'),
    ...oneOrSeveralColumns,
    references: z
      .strictObject({
        table: z.string().min(1).describe('the referenced table'),
        ...oneOrSeveralColumns,
      })
      .describe('the table and column(s) the values must exist in'),
    ...checkFields,
  })
  .describe('every non-null value (combination) exists in the referenced table; rows with a null there are not checked');

export const FreshnessCheckSchema = z
  .strictObject({
    kind: z.literal('freshness'),
    column: ColumnName.describe('a date or timestamp column'),
    max_age: z.string().regex(DURATION_PATTERN, { error: 'expected a duration like "90m", "36h", "7d" or "1d12h"' }).describe('how old the newest value may be'),
    ...checkFields,
  })
  .describe('the newest value of the column is not older than max_age');

export const SqlCheckSchema = z
  .strictObject({
    kind: z.literal('sql'),
    sql: z.string().min(1).describe('a DuckDB SELECT over the tables (each a view named as the table); every row it returns is a failure'),
    ...checkFields,
  })
  .describe('a custom query whose rows are the failures');

export const CheckDefinitionSchema = z.discriminatedUnion('kind', [
  NotNullCheckSchema,
  UniqueCheckSchema,
  AcceptedValuesCheckSchema,
  RangeCheckSchema,
  PatternCheckSchema,
  RowCountCheckSchema,
  ForeignKeyCheckSchema,
  FreshnessCheckSchema,
  SqlCheckSchema,
]);
export type CheckDefinition = z.infer<typeof CheckDefinitionSchema>;

export const TableConfigSchema = z.strictObject({
  checks: z.array(CheckDefinitionSchema).default([]).describe('the checks of the table, run in this order'),
  defaults: z
    .record(z.string(), Literal)
    .optional()
    .describe('per column, the value the healer may fill into a null'),
});
export type TableConfig = z.infer<typeof TableConfigSchema>;

/** What the healer may change in one table. */
export const TablePolicySchema = z.strictObject({
  columns: z.array(ColumnName).min(1).optional().describe('the columns whose cells the healer may edit; omitted: every column'),
  delete_rows: z.boolean().default(true).describe('whether the healer may remove rows (duplicates) or move them to quarantine'),
  max_rows: z.number().int().min(1).optional().describe('most rows of this table one proposal may change'),
  null_unconvertible: z
    .boolean()
    .default(false)
    .describe('whether a type fix (coerce-type) may turn values that are no value of the type ("N/A", "") into null; each is listed in the proposal'),
});
export type TablePolicy = z.infer<typeof TablePolicySchema>;

/** The bounds of the healer: a table not listed here is off limits. */
export const PolicySchema = z.strictObject({
  max_rows_per_proposal: z.number().int().min(1).default(100).describe('most rows one proposal may change; over it, no proposal'),
  tables: z.record(z.string(), TablePolicySchema).default({}).describe('the tables the healer may change'),
  land_unreviewed: z
    .boolean()
    .default(false)
    .describe('whether the merge queue may land a proposal marked for review (a revert of a partial load) before a person approved it; default false'),
});
export type Policy = z.infer<typeof PolicySchema>;

/** A memory size as DuckDB reads it: `512MB`, `2GB`. */
export const MEMORY_PATTERN = /^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/;

/** The caps every check runs under. */
export const CheckLimitsSchema = z.strictObject({
  time: z
    .string()
    .regex(DURATION_PATTERN, { error: 'expected a duration like "30s", "2m" or "1h"' })
    .default('60s')
    .describe('how long one check may run before it is stopped and fails (default 60s)'),
  memory: z
    .string()
    .regex(MEMORY_PATTERN, { error: 'expected a size like "512MB" or "2GB"' })
    .default('1GB')
    .describe('the memory the checks may use (DuckDB memory_limit, and as much again spilled to disk; default 1GB); a check past it fails'),
});
export type CheckLimits = z.infer<typeof CheckLimitsSchema>;

export const DgitConfigSchema = z
  .strictObject({
    version: z.literal(1, { error: 'expected version: 1' }).describe('the format version of dgit.yml'),
    tables: z.record(z.string(), TableConfigSchema).default({}).describe('per table: its checks and defaults'),
    policy: PolicySchema.optional().describe('what the healer may change'),
    check_limits: CheckLimitsSchema.optional().describe('the time and memory caps of every check'),
    storage: z
      .strictObject({
        chunks: z.string().regex(/^s3:\/\/[^/?#]+(\/[^?#]*)?$/, { error: 'expected an S3 URL like s3://bucket/prefix' }).describe('the bucket (and key prefix) that holds the chunks'),
      })
      .optional()
      .describe('where the chunks live when not in git (see `dgit remote add --chunks`)'),
  })
  .describe('dgit repository configuration: data-quality checks and the healer policy');
export type DgitConfig = z.infer<typeof DgitConfigSchema>;
