import { CLI } from '../../support/cli.js';

/** How to run `dgit bot` and `dgit pr open`: the built CLI. */
export const BOT_CLI: string = CLI;
