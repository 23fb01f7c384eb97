import { Repository } from '../repository/repository.js';

/** What every command needs: where to run (`-C DIR`) and the repository there. */
export class CommandContext {
  cwd: string = process.cwd();

  async repository(): Promise<Repository> {
    return Repository.open(this.cwd);
  }
}
