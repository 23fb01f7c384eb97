import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { registerBranch } from './branch.js';
import { registerCommit } from './commit.js';
import { registerDemo } from './demo.js';
import { registerExport } from './export.js';
import { registerSql } from './sql.js';
import { registerDiff } from './diff.js';
import { registerStatus } from './status.js';
import { registerShow } from './show.js';
import { registerMerge } from './merge.js';
import { registerConflicts } from './conflicts.js';
import { registerCheck } from './check.js';
import { registerRemote } from './remote.js';
import { registerQueue } from './queue.js';
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
  registerStatus(program, context);
  registerCommit(program, context);
  registerLog(program, context);
  registerShow(program, context);
  registerDiff(program, context);
  registerBranch(program, context);
  registerMerge(program, context);
  registerConflicts(program, context);
  registerCheck(program, context);
  registerQueue(program, context);
  registerRemote(program, context);
  registerDemo(program, context);
}
