import { openRepository, type Repository } from '../engine/index.js';

/** What every command needs: where to run (`-C DIR`) and the repository there. */
export class CommandContext {
  cwd: string = process.cwd();

  /** The repository at `cwd`; loaded on demand so `dgit --help` starts fast. */
  async repository(): Promise<Repository> {
    return openRepository(this.cwd);
  }
}
