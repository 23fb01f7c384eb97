#!/usr/bin/env node
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { CommandContext } from './context.js';
import { terminal } from './output.js';
import { registerCommands } from './commands/index.js';
import { DgitError, exitCodeFor } from '../engine/index.js';

/** The `dgit` command line: flags in, engine calls, output out. No logic of its own. */
export async function main(argv: string[]): Promise<number> {
  // `dgit export t | head` closes the pipe early: that is success, not an error.
  if (process.stdout.listenerCount('error') === 0) {
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode === undefined ? 0 : Number(process.exitCode));
      throw error;
    });
  }
  const context = new CommandContext();
  const program = new Command('dgit')
    .description('Git for Data: version tables inside a git repository')
    .version(packageVersion(), '-V, --version')
    .option('-C <dir>', 'run as if dgit was started in <dir>')
    .option('-q, --quiet', 'no progress lines on stderr')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  program.hook('preAction', () => {
    const globals = program.opts<{ C?: string; quiet?: boolean }>();
    if (globals.C) context.cwd = path.resolve(globals.C);
    terminal.quiet = Boolean(globals.quiet);
  });
  registerCommands(program, context);
  try {
    await program.parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (error) {
    return reportError(error);
  }
}

function packageVersion(): string {
  try {
    const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../package.json');
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
    return 2; // commander already printed the message
  }
  if (error instanceof DgitError) {
    process.stderr.write(`dgit: error: ${error.message}${error.where ? ` (${error.where})` : ''}\n`);
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

if (invokedDirectly()) {
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
