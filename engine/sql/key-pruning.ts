import type { ChunkEntry } from '../chunking/manifest.js';
import { keyColumnIndexes, isKeyless, type TableSchema } from '../schema/schema.js';
import type { ColumnType } from '../schema/types.js';
import { compareStrings, type Value } from '../value/value.js';

/**
 * Which chunks a WHERE can select rows from, read off the WHERE's constraints on the
 * first key column (`id = 5`, `id IN (1, 2)`, `id BETWEEN 10 AND 20`, `id >= 7`,
 * joined by AND and OR, in parentheses). Chunks hold keys in order, so a chunk whose
 * range [first, last] of that column meets none of the constrained values holds no
 * row the WHERE selects, and DuckDB need not read it (issue 13: a 10-row UPDATE by
 * key read all 747 chunk files of a 3M-row table).
 *
 * Pruning must never drop a row the WHERE selects, so anything this reader does not
 * fully understand gives `undefined` (read every chunk): an OR with a branch that
 * does not constrain the key, a CASE, dollar-quoted or escaped strings, a literal of
 * another kind than the column (DuckDB would cast it), ranges over strings.
 */
export type ChunkPredicate = (chunk: ChunkEntry) => boolean;

/** The table a WHERE filters: its schema and the names a column may be qualified by. */
export interface WhereTarget {
  schema: TableSchema;
  /** The table's name and its alias in the statement (compared without regard to case, as DuckDB does). */
  qualifiers: string[];
}

/** The chunks of `where`'s table that may hold rows it selects, or undefined when that cannot be proven. */
export function chunkPredicateOfWhere(where: string, target: WhereTarget): ChunkPredicate | undefined {
  if (isKeyless(target.schema)) return undefined;
  // Dollar-quoted and backslash-escaped strings are not read by the scanner below.
  if (/[$\\]/.test(where)) return undefined;
  // A comment may hide what looks like a condition (`x = 1 -- AND id = 5` selects every x = 1). runSql strips
  // comments first (singleStatement); this keeps the reader safe for any caller.
  if (hasSqlComment(where)) return undefined;
  const key = target.schema.columns[keyColumnIndexes(target.schema)[0]!]!;
  const sameName = target.schema.columns.filter((c) => c.name.toLowerCase() === key.name.toLowerCase());
  if (sameName.length !== 1) return undefined;
  const kind = literalKind(key.type);
  if (kind === undefined) return undefined;
  const reader = new WhereReader(key.name.toLowerCase(), target.qualifiers.map((q) => q.toLowerCase()), kind);
  const tokens = tokenize(where);
  if (tokens === undefined) return undefined;
  // A subquery's WHERE constrains another query's rows, not this one's.
  if (tokens.some((t) => QUERY_WORDS.has(t.text.toUpperCase()))) return undefined;
  const test = reader.disjunction(tokens);
  if (test === undefined) return undefined;
  return (chunk) => test(chunk.first[0]!, chunk.last[0]!);
}

/**
 * Whether SQL text holds a comment (`--` or `/*`) outside its quoted strings and
 * identifiers. Text read by hand here (a WHERE, the words of a statement) is read
 * as DuckDB reads it only without comments, so their presence means: do not guess.
 */
export function hasSqlComment(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < text.length && !(text[j] === c && text[j + 1] !== c)) j += text[j] === c ? 2 : 1;
      i = j;
    } else if ((c === '-' && text[i + 1] === '-') || (c === '/' && text[i + 1] === '*')) return true;
  }
  return false;
}

/** Words that start or hold a query (DuckDB also reads `FROM t` as one). */
const QUERY_WORDS = new Set(['SELECT', 'FROM', 'WITH', 'VALUES', 'TABLE', 'SUMMARIZE', 'DESCRIBE', 'PIVOT', 'UNPIVOT']);

/** Whether the first-key values [low, high] of a chunk may hold a value the constraint allows. */
type RangeTest = (low: Value, high: Value) => boolean;
type LiteralKind = 'integer' | 'string';

function literalKind(type: ColumnType): LiteralKind | undefined {
  if (/^U?Int(8|16|32|64)$/.test(type)) return 'integer';
  if (type === 'Utf8') return 'string';
  return undefined;
}

interface Token {
  text: string;
  /** Parenthesis (and CASE ... END) depth at the token. */
  depth: number;
}

/**
 * Words, literals and punctuation of a WHERE; undefined when a quote does not close
 * or the parentheses do not balance. CASE ... END counts as a parenthesis: its WHEN
 * conditions are not conjuncts of the WHERE.
 */
function tokenize(text: string): Token[] | undefined {
  const tokens: Token[] = [];
  let depth = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      for (;;) {
        if (j >= text.length) return undefined;
        if (text[j] === c) {
          if (text[j + 1] === c) j += 2;
          else break;
        } else j++;
      }
      tokens.push({ text: text.slice(i, j + 1), depth });
      i = j + 1;
      continue;
    }
    const word = /^[A-Za-z_][\w]*|^[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|^(?:<=|>=|<>|!=|::|[^\sA-Za-z0-9_])/.exec(text.slice(i));
    const piece = word![0];
    const upper = piece.toUpperCase();
    if (piece === ')' || upper === 'END') depth--;
    if (depth < 0) return undefined;
    // An opener and its closer stand at the depth outside them.
    tokens.push({ text: piece, depth });
    if (piece === '(' || upper === 'CASE') depth++;
    i += piece.length;
  }
  return depth === 0 ? tokens : undefined;
}

const isWord = (token: Token | undefined, word: string) => token !== undefined && token.text.toUpperCase() === word;

/** Split tokens at a keyword at the depth of the first token (for AND: not the AND of a BETWEEN). */
function splitAt(tokens: Token[], word: 'AND' | 'OR'): Token[][] {
  const depth = tokens[0]?.depth ?? 0;
  const parts: Token[][] = [[]];
  let betweenOpen = false;
  for (const token of tokens) {
    if (token.depth === depth && isWord(token, 'BETWEEN')) betweenOpen = true;
    if (token.depth === depth && isWord(token, word)) {
      if (word === 'AND' && betweenOpen) betweenOpen = false;
      else {
        parts.push([]);
        continue;
      }
    }
    parts[parts.length - 1]!.push(token);
  }
  return parts;
}

class WhereReader {
  constructor(
    private readonly key: string,
    private readonly qualifiers: string[],
    private readonly kind: LiteralKind,
  ) {}

  /** A OR B: a chunk may hold a selected row if it may for any branch; every branch must constrain the key. */
  disjunction(tokens: Token[]): RangeTest | undefined {
    const branches = splitAt(tokens, 'OR').map((part) => this.conjunction(part));
    if (branches.some((b) => b === undefined)) return undefined;
    const tests = branches as RangeTest[];
    return tests.length === 1 ? tests[0] : (low, high) => tests.some((t) => t(low, high));
  }

  /** A AND B: a chunk must allow every term that constrains the key; terms that do not are left out (they only narrow). */
  conjunction(tokens: Token[]): RangeTest | undefined {
    const tests = splitAt(tokens, 'AND')
      .map((part) => this.term(part))
      .filter((t): t is RangeTest => t !== undefined);
    if (tests.length === 0) return undefined;
    return tests.length === 1 ? tests[0] : (low, high) => tests.every((t) => t(low, high));
  }

  /** One term: `(...)`, `key = lit`, `lit = key`, `key IN (lits)`, `key BETWEEN lit AND lit`, `key < lit` and the like. */
  term(tokens: Token[]): RangeTest | undefined {
    if (tokens.length === 0) return undefined;
    if (tokens[0]!.text === '(' && tokens.at(-1)!.text === ')' && closes(tokens)) {
      const inner = tokens.slice(1, -1);
      // (a, b AND id = 5) is a row, not a condition on id.
      if (inner.length === 0 || inner.some((t) => t.depth === inner[0]!.depth && t.text === ',')) return undefined;
      return this.disjunction(inner);
    }
    const column = this.columnAt(tokens, 0);
    if (column > 0) return this.afterColumn(tokens.slice(column));
    // lit op key
    const literal = this.literalAt(tokens, 0);
    if (literal && tokens.length > literal.length + 1) {
      const op = tokens[literal.length]!.text;
      const rest = tokens.slice(literal.length + 1);
      if (this.columnAt(rest, 0) === rest.length && ['=', '<', '<=', '>', '>='].includes(op))
        return this.comparison(({ '=': '=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' } as const)[op as '=' | '<' | '<=' | '>' | '>=']!, literal.value);
    }
    return undefined;
  }

  private afterColumn(rest: Token[]): RangeTest | undefined {
    const op = rest[0]?.text.toUpperCase();
    if (op === 'IN') {
      if (rest[1]?.text !== '(' || rest.at(-1)?.text !== ')' || !closes(rest.slice(1))) return undefined;
      const values: Value[] = [];
      let at = 2;
      while (at < rest.length - 1) {
        const literal = this.literalAt(rest, at);
        if (!literal) return undefined;
        values.push(literal.value);
        at += literal.length;
        if (at < rest.length - 1) {
          if (rest[at]!.text !== ',') return undefined;
          at++;
        }
      }
      if (values.length === 0) return undefined;
      return (low, high) => values.some((v) => this.compare(low, v) <= 0 && this.compare(v, high) <= 0);
    }
    if (op === 'BETWEEN') {
      if (this.kind !== 'integer') return undefined;
      const from = this.literalAt(rest, 1);
      if (!from || !isWord(rest[1 + from.length], 'AND')) return undefined;
      const to = this.literalAt(rest, 2 + from.length);
      if (!to || 2 + from.length + to.length !== rest.length) return undefined;
      return (low, high) => this.compare(from.value, high) <= 0 && this.compare(low, to.value) <= 0;
    }
    if (op === '=' || op === '<' || op === '<=' || op === '>' || op === '>=') {
      const literal = this.literalAt(rest, 1);
      if (!literal || 1 + literal.length !== rest.length) return undefined;
      return this.comparison(op, literal.value);
    }
    return undefined;
  }

  /** key op value: whether [low, high] holds a key that compares so. */
  private comparison(op: '=' | '<' | '<=' | '>' | '>=', value: Value): RangeTest | undefined {
    if (op === '=') return (low, high) => this.compare(low, value) <= 0 && this.compare(value, high) <= 0;
    // Ranges over strings would need DuckDB's collation to agree with dgit's order: not assumed.
    if (this.kind !== 'integer') return undefined;
    if (op === '<') return (low) => this.compare(low, value) < 0;
    if (op === '<=') return (low) => this.compare(low, value) <= 0;
    if (op === '>') return (_low, high) => this.compare(high, value) > 0;
    return (_low, high) => this.compare(high, value) >= 0;
  }

  /** The number of tokens of a reference to the key column at `at` (`id`, `"id"`, `t.id`), 0 if there is none. */
  private columnAt(tokens: Token[], at: number): number {
    const name = (token: Token | undefined) => (token === undefined ? undefined : /^"/.test(token.text) ? token.text.slice(1, -1).replace(/""/g, '"').toLowerCase() : /^[A-Za-z_]\w*$/.test(token.text) ? token.text.toLowerCase() : undefined);
    if (tokens[at + 1]?.text === '.') {
      const qualifier = name(tokens[at]);
      return qualifier !== undefined && this.qualifiers.includes(qualifier) && name(tokens[at + 2]) === this.key ? 3 : 0;
    }
    const only = name(tokens[at]);
    // A bare word that is a keyword (NOT, NULL, TRUE) is never the key: its name would have to be one.
    return only === this.key ? 1 : 0;
  }

  /** A literal of the key's kind at `at` (an integer with an optional sign, or a string), with its token count. */
  private literalAt(tokens: Token[], at: number): { value: Value; length: number } | undefined {
    const sign = tokens[at]?.text === '-' || tokens[at]?.text === '+' ? tokens[at]!.text : '';
    const token = tokens[at + (sign ? 1 : 0)];
    if (token === undefined) return undefined;
    if (this.kind === 'integer' && /^[0-9]+$/.test(token.text)) return { value: BigInt(`${sign}${token.text}`), length: sign ? 2 : 1 };
    if (this.kind === 'string' && !sign && token.text.startsWith("'")) return { value: token.text.slice(1, -1).replace(/''/g, "'"), length: 1 };
    return undefined;
  }

  /** Integers compared exactly whatever their width; strings in dgit's key order (code points, as DuckDB's bytes). */
  private compare(a: Value, b: Value): number {
    if (this.kind === 'integer') {
      const x = BigInt(a as number | bigint);
      const y = BigInt(b as number | bigint);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    return compareStrings(a as string, b as string);
  }
}

/** Whether the parenthesis opening `tokens` closes at its last token (and not before). */
function closes(tokens: Token[]): boolean {
  const depth = tokens[0]!.depth;
  for (let i = 1; i < tokens.length - 1; i++) if (tokens[i]!.depth === depth && (tokens[i]!.text === ')' || isWord(tokens[i], 'END'))) return false;
  return tokens.at(-1)!.depth === depth;
}
