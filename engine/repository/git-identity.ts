import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DgitError } from '../errors/index.js';

/** Who makes a commit, before the date is added. */
export interface Identity {
  name: string;
  email: string;
}

/**
 * The git config files git reads, lowest precedence first: system, global
 * (`$XDG_CONFIG_HOME/git/config`, then `~/.gitconfig`), then the repository's.
 * `GIT_CONFIG_NOSYSTEM`, `GIT_CONFIG_SYSTEM` and `GIT_CONFIG_GLOBAL` are honoured as git does.
 */
export function gitConfigFiles(gitdir: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const files: string[] = [];
  const noSystem = env['GIT_CONFIG_NOSYSTEM'];
  if (!noSystem || /^(0|false|no|off)$/i.test(noSystem)) files.push(env['GIT_CONFIG_SYSTEM'] || '/etc/gitconfig');
  if (env['GIT_CONFIG_GLOBAL'] !== undefined) {
    if (env['GIT_CONFIG_GLOBAL'] !== '') files.push(env['GIT_CONFIG_GLOBAL']);
  } else {
    const home = env['HOME'] || os.homedir();
    const xdg = env['XDG_CONFIG_HOME'] ? env['XDG_CONFIG_HOME'] : path.join(home, '.config');
    files.push(path.join(xdg, 'git', 'config'), path.join(home, '.gitconfig'));
  }
  files.push(path.join(gitdir, 'config'));
  return files;
}

/**
 * The values of `section.key` (lower case, no subsection) in git config text, in
 * file order. Reads git's syntax: `[section]` headers, `key = value`, `;`/`#`
 * comments, double quotes and backslash escapes, a bare key meaning true.
 * `[include]` is not followed.
 */
export function gitConfigValues(text: string, wanted: string): string[] {
  const values: string[] = [];
  let section = '';
  for (const rawLine of text.split(/\r?\n/)) {
    let line = rawLine.trim();
    const header = /^\[\s*([A-Za-z0-9.-]+)(?:\s+"(?:[^"\\]|\\.)*")?\s*\]\s*(.*)$/.exec(line);
    if (header) {
      section = rawLine.includes('"') ? `${header[1]!.toLowerCase()}.<sub>` : header[1]!.toLowerCase();
      line = header[2]!.trim();
      if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    }
    const entry = /^([A-Za-z][A-Za-z0-9-]*)\s*(?:=\s*(.*))?$/.exec(line);
    if (!entry || `${section}.${entry[1]!.toLowerCase()}` !== wanted) continue;
    values.push(entry[2] === undefined ? 'true' : unquote(entry[2]));
  }
  return values;
}

/** A config value as git reads it: quotes removed, escapes decoded, trailing comment and spaces dropped. */
function unquote(raw: string): string {
  let out = '';
  let quoted = false;
  let pendingSpace = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '"') {
      out += pendingSpace;
      pendingSpace = '';
      quoted = !quoted;
    } else if (c === '\\' && i + 1 < raw.length) {
      const next = raw[++i]!;
      out += pendingSpace + ({ n: '\n', t: '\t', b: '\b' }[next] ?? next);
      pendingSpace = '';
    } else if (!quoted && (c === '#' || c === ';')) break;
    else if (!quoted && (c === ' ' || c === '\t')) pendingSpace += c;
    else {
      out += pendingSpace + c;
      pendingSpace = '';
    }
  }
  return out;
}

/** The last value of a config key across the files git reads (the repository's wins), or undefined. */
export function readGitConfig(gitdir: string, key: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  let found: string | undefined;
  for (const file of gitConfigFiles(gitdir, env)) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const values = gitConfigValues(text, key.toLowerCase());
    if (values.length > 0) found = values[values.length - 1];
  }
  return found;
}

/**
 * The author or committer as git finds them: `GIT_AUTHOR_NAME`/`GIT_COMMITTER_NAME`
 * (and `_EMAIL`), then `author.*`/`committer.*` and `user.*` in the config files,
 * then `EMAIL` for the address. When a name or address is still missing this
 * throws git's "identity unknown" error; git's guess from the host name is not
 * made, because it gives addresses like `root@localhost` that nobody can reach.
 */
export function gitIdentity(gitdir: string, role: 'AUTHOR' | 'COMMITTER', env: NodeJS.ProcessEnv = process.env): Identity {
  const prefix = role === 'AUTHOR' ? 'author' : 'committer';
  const pick = (field: 'name' | 'email'): string | undefined => {
    const fromEnv = env[`GIT_${role}_${field.toUpperCase()}`];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    const configured = readGitConfig(gitdir, `${prefix}.${field}`, env) ?? readGitConfig(gitdir, `user.${field}`, env);
    if (configured !== undefined && configured !== '') return configured;
    if (field === 'email' && env['EMAIL']) return env['EMAIL'];
    return undefined;
  };
  const name = pick('name');
  const email = pick('email');
  if (name === undefined || email === undefined)
    throw new DgitError(
      'USAGE',
      `${role === 'AUTHOR' ? 'author' : 'committer'} identity unknown: tell git who you are with ` +
        '`git config --global user.name "Your Name"` and `git config --global user.email "you@example.com"` ' +
        `(or set GIT_${role}_NAME and GIT_${role}_EMAIL)`,
    );
  return { name, email };
}

/** The signature of commits dgit makes for itself (incident log, heal proposals) when git knows nobody. */
export const DGIT_IDENTITY: Identity = { name: 'dgit', email: 'dgit@localhost' };
