import type { Command } from 'commander';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CommandContext } from '../context.js';
import { colourEnabled, print } from '../output.js';

export function registerDemo(program: Command, context: CommandContext): void {
  program
    .command('demo')
    .description('the whole loop on bundled real data: import, branch, merge, a broken load, checks, heal, review, queue, merge')
    .argument('[dir]', 'an empty or new folder for the demo repository (default: a new temporary folder)')
    .addHelpText('after', '\nExample:\n  dgit demo ./dgit-demo')
    .action(async (dir: string | undefined) => {
      const { runDemo } = await import('../demo.js');
      const target = dir ? path.resolve(context.cwd, dir) : fs.mkdtempSync(path.join(os.tmpdir(), 'dgit-demo-'));
      const started = Date.now();
      await runDemo(target, (text) => print(text + '\n'), { colour: colourEnabled() });
      print(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    });
}
