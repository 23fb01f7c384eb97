import type { Repository } from '../engine/repository/repository.js';

/** What every command needs: where to run (`-C DIR`) and the repository there. */
export class CommandContext {
  cwd: string = process.cwd();

  /** The repository at `cwd`; loaded on demand so `dgit --help` starts fast. */
  async repository(): Promise<Repository> {
    const { Repository: RepositoryClass } = await import('../engine/repository/repository.js');
    return RepositoryClass.open(this.cwd);
  }
}
