import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir, writeFile } from '../support/cli.js';
import { dgitIn, dgitInOk } from './in-process.js';

beforeAll(() => {
  Object.assign(process.env, { GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com' });
});

describe('dgit conflicts', () => {
  it('shows base, ours and theirs for each conflicting cell, not whole rows', async () => {
    const dir = tempDir();
    await dgitInOk(dir, 'init');
    await dgitInOk(dir, 'import', writeFile(tempDir(), 'a.csv', 'id,city,delay,note\n1,LA,0,same\n2,SF,4,same\n'), '--table', 'flights', '--key', 'id');
    await dgitInOk(dir, 'commit', '-m', 'base');
    await dgitInOk(dir, 'branch', 'theirs');
    await dgitInOk(dir, 'sql', "UPDATE flights SET delay = -5, city = 'LA ' WHERE id = 1");
    await dgitInOk(dir, 'sql', 'DELETE FROM flights WHERE id = 2');
    await dgitInOk(dir, 'commit', '-m', 'ours');
    await dgitInOk(dir, 'switch', 'theirs');
    await dgitInOk(dir, 'sql', "UPDATE flights SET delay = 7, city = 'Los Angeles' WHERE id = 1");
    await dgitInOk(dir, 'sql', 'UPDATE flights SET delay = 9 WHERE id = 2');
    await dgitInOk(dir, 'commit', '-m', 'theirs');
    await dgitInOk(dir, 'switch', 'main');
    expect((await dgitIn(dir, 'merge', 'theirs')).code).toBe(1); // conflicts, as git exits
    expect(await dgitInOk(dir, 'conflicts')).toBe(
      [
        'flights: 2 conflict(s)',
        '  id=1 (cell): both sides changed the same cells',
        '    city: base LA, ours "LA ", theirs Los Angeles',
        '    delay: base 0, ours -5, theirs 7',
        '  id=2 (delete-update): ours deleted the row, theirs changed it',
        '    delay: base 4, ours (deleted), theirs 9',
        '',
      ].join('\n'),
    );
  });
});
