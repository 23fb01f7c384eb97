import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dgit, dgitOk, tempDir } from '../support/cli.js';

/** No command prints a secret: a token written into a remote's URL never reaches stdout or stderr. */
describe('a token in a remote URL', () => {
  const TOKEN = 'ghp_thisisasecrettokenthatmustnotbeprinted';

  it('is redacted by remote add and remote list, text and JSON, and by the errors of fetch', () => {
    const work = tempDir();
    dgitOk(work, 'init', 'repo');
    const dir = path.join(work, 'repo');
    const outputs: string[] = [];
    const run = (...args: string[]) => {
      const result = dgit(dir, ...args);
      outputs.push(result.stdout, result.stderr);
      return result;
    };
    expect(JSON.parse(run('remote', 'add', 'origin', `https://x-access-token:${TOKEN}@127.0.0.1:9/acme/data.git`, '--json').stdout)).toEqual({ name: 'origin', url: 'https://x-access-token:***@127.0.0.1:9/acme/data.git' });
    run('remote', 'add', 'bare', `https://${TOKEN}@127.0.0.1:9/acme/other.git`);
    expect(JSON.parse(run('remote', 'list', '--json').stdout)).toEqual({
      remotes: [
        { name: 'bare', url: 'https://***@127.0.0.1:9/acme/other.git' },
        { name: 'origin', url: 'https://x-access-token:***@127.0.0.1:9/acme/data.git' },
      ],
    });
    expect(run('remote', 'list').stdout).toContain('origin\thttps://x-access-token:***@127.0.0.1:9/acme/data.git');
    // Port 9 (discard) refuses: the errors name the remote, not its token.
    expect(run('fetch', 'origin').code).toBe(1);
    expect(run('fetch', 'bare', '--json').code).toBe(1);
    for (const output of outputs) expect(output).not.toContain(TOKEN);
    // The token stays where the user put it: in the repository's config, for git and dgit to use.
    expect(dgitOk(dir, 'remote', 'list', '--json')).not.toContain(TOKEN);
  });
});
