import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { registerBranch } from './branch.js';
import { registerCommit } from './commit.js';
import { registerDemo } from './demo.js';
import { registerExport } from './export.js';
import { registerSql } from './sql.js';
import { registerImport } from './import.js';
import { registerInit } from './init.js';
import { registerLog } from './log.js';
import { registerTables } from './tables.js';

export function registerCommands(program: Command, context: CommandContext): void {
  registerInit(program, context);
  registerImport(program, context);
  registerTables(program, context);
  registerExport(program, context);
  registerSql(program, context);
  registerCommit(program, context);
  registerLog(program, context);
  registerBranch(program, context);
  registerDemo(program, context);
}
