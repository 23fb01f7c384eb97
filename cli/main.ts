#!/usr/bin/env node
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { CommandContext } from './context.js';
import { terminal } from './output.js';
import { registerCommands } from './commands/index.js';
import { DgitError, exitCodeFor } from '../engine/index.js';

/** The `dgit` command line: flags in, engine calls, output out. No logic of its own. */
export async function main(argv: string[]): Promise<number> {
  // `dgit export t | head` closes the pipe early: that is success, not an error.
  watchStdoutPipe();
  const context = new CommandContext();
  const program = new Command('dgit')
    .description('Git for Data: version tables inside a git repository')
    .version(packageVersion(), '-V, --version')
    .option('-C <dir>', 'run as if dgit was started in <dir>')
    .option('-q, --quiet', 'no progress lines on stderr')
    .exitOverride()
    // Commander's own error lines are not printed: reportError prints them in dgit's one style, without the whole help.
    .configureOutput({ writeErr: (text) => process.stderr.write(text), outputError: () => {} });
  program.hook('preAction', () => {
    const globals = program.opts<{ C?: string; quiet?: boolean }>();
    if (globals.C) context.cwd = path.resolve(globals.C);
    terminal.quiet = Boolean(globals.quiet);
  });
  registerCommands(program, context);
  const failedCommand = new WeakMap<CommanderError, Command>();
  for (const command of everyCommand(program))
    command.exitOverride((error) => {
      failedCommand.set(error, command);
      throw error;
    });
  try {
    await program.parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (error) {
    return reportError(error, error instanceof CommanderError ? failedCommand.get(error) : undefined);
  }
}

let stdoutWatched = false;

/** `dgit export t | head` closes the pipe early: that is success, not an error. */
function watchStdoutPipe(): void {
  if (stdoutWatched) return;
  stdoutWatched = true;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode === undefined ? 0 : Number(process.exitCode));
    throw error;
  });
}

function everyCommand(command: Command): Command[] {
  return [command, ...command.commands.flatMap((sub) => everyCommand(sub))];
}

/** `dgit queue add`: the words that run a command, for "see ... --help". */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let current: Command | null = command; current; current = current.parent) names.unshift(current.name());
  return names.join(' ');
}

/**
 * Commander's message in dgit's style: `unknown command 'comit'; did you mean commit?`,
 * and where to look when there is no suggestion. Never the whole help.
 */
function commanderMessage(error: CommanderError, command: Command | undefined): string {
  const lines = error.message.replace(/^error: /, '').split('\n').map((line) => line.trim()).filter(Boolean);
  const suggestion = lines.slice(1).map((line) => line.replace(/^\((.*)\)$/, '$1')).join(' ');
  const what = lines[0] ?? error.code;
  if (suggestion) return `${what}; ${suggestion.charAt(0).toLowerCase()}${suggestion.slice(1)}`;
  return `${what} (see ${command ? commandPath(command) : 'dgit'} --help)`;
}

/** Whether a "where" only repeats a name the message already says (`branch "x" not found (x)`). */
function repeats(message: string, where: string): boolean {
  const escaped = where.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\w])${escaped}($|[^\\w])`).test(message);
}

function packageVersion(): string {
  try {
    const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../package.json');
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function reportError(error: unknown, command?: Command): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
    process.stderr.write(`dgit: error: ${commanderMessage(error, command)}\n`);
    return 2;
  }
  if (error instanceof DgitError) {
    const where = error.where && !repeats(error.message, error.where) ? ` (${error.where})` : '';
    process.stderr.write(`dgit: error: ${error.message}${where}\n`);
    return exitCodeFor(error);
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`dgit: error: ${message} (internal)\n`);
  if (process.env.DGIT_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return 1;
}

function invokedDirectly(): boolean {
  try {
    return Boolean(process.argv[1]) && fs.realpathSync(process.argv[1]!) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

/**
 * WebAssembly (parquet-wasm) runs on V8's baseline compiler only. By default V8
 * also recompiles the hot functions of the 5 MB module with its optimizing
 * compiler, which costs about 0.4 s of CPU in a 10-row upsert; measured at 3M rows,
 * even a full import is no slower without it (issue 13). Set before any module
 * is compiled, and only when dgit runs as its own process.
 */
function baselineWebAssemblyOnly(): void {
  v8.setFlagsFromString('--liftoff-only');
}

if (invokedDirectly()) {
  baselineWebAssemblyOnly();
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`dgit: error: ${String(error)} (internal)\n`);
      process.exitCode = 1;
    },
  );
}
