import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitOut, repositorySnapshot, tempDir, writeFile } from '../support/cli.js';
import { dgitIn, dgitInOk, withEnv } from './in-process.js';

/** No identity anywhere: an empty home, no system config, no GIT_* variables. */
const NOBODY = {
  HOME: '',
  XDG_CONFIG_HOME: undefined,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: undefined,
  GIT_AUTHOR_NAME: undefined,
  GIT_AUTHOR_EMAIL: undefined,
  GIT_COMMITTER_NAME: undefined,
  GIT_COMMITTER_EMAIL: undefined,
  EMAIL: undefined,
};

async function repositoryWithEdit(): Promise<string> {
  const dir = tempDir();
  await dgitInOk(dir, 'init');
  await dgitInOk(dir, 'import', writeFile(dir, 'in.csv', 'id,x\n1,a\n'), '--table', 't', '--key', 'id');
  return dir;
}

describe('commit identity comes from where git finds it', () => {
  it("uses user.name and user.email of the global ~/.gitconfig, as git does", async () => {
    const home = tempDir('dgit-home-');
    writeFile(home, '.gitconfig', '[core]\n\tautocrlf = false\n[user]\n\tname = "Ada Lovelace" ; a comment\n\temail = ada@example.com\n[user "x"]\n\tname = Not Me\n');
    await withEnv({ ...NOBODY, HOME: home }, async () => {
      const dir = await repositoryWithEdit();
      await dgitInOk(dir, 'commit', '-m', 'first');
      expect(gitOut(dir, 'log', '-1', '--format=%an <%ae>|%cn <%ce>').trim()).toBe('Ada Lovelace <ada@example.com>|Ada Lovelace <ada@example.com>');
    });
  });

  it('uses $XDG_CONFIG_HOME/git/config, lets the repository config override it, and GIT_AUTHOR_* override both', async () => {
    const home = tempDir('dgit-home-');
    const xdg = tempDir('dgit-xdg-');
    writeFile(xdg, 'git/config', '[user]\n  name = Xdg User\n  email = xdg@example.com\n');
    await withEnv({ ...NOBODY, HOME: home, XDG_CONFIG_HOME: xdg }, async () => {
      const dir = await repositoryWithEdit();
      await dgitInOk(dir, 'commit', '-m', 'one');
      expect(gitOut(dir, 'log', '-1', '--format=%an <%ae>').trim()).toBe('Xdg User <xdg@example.com>');
      gitOut(dir, 'config', 'user.name', 'Repo User');
      await dgitInOk(dir, 'import', writeFile(dir, 'in2.csv', 'id,x\n1,b\n'), '--table', 't');
      await withEnv({ GIT_AUTHOR_NAME: 'Env Author', GIT_AUTHOR_EMAIL: 'env@example.com' }, () => dgitInOk(dir, 'commit', '-m', 'two'));
      expect(gitOut(dir, 'log', '-1', '--format=%an <%ae>|%cn <%ce>').trim()).toBe('Env Author <env@example.com>|Repo User <xdg@example.com>');
    });
  });

  it("with no identity anywhere, commit fails with git's advice and writes nothing", async () => {
    await withEnv(NOBODY, async () => {
      const dir = await repositoryWithEdit();
      const before = repositorySnapshot(dir);
      const result = await dgitIn(dir, 'commit', '-m', 'who?');
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^dgit: error: author identity unknown: tell git who you are with `git config --global user.name "Your Name"`/);
      expect(repositorySnapshot(dir)).toBe(before);
      expect(fs.existsSync(path.join(dir, '.git', 'refs', 'heads', 'main'))).toBe(false);
    });
  });
});
