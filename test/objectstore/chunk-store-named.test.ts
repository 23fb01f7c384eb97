import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Repository } from '../../engine/repository/repository.js';
import type { ObjectId } from '../../engine/store/object-store.js';
import { tempDir } from '../support/cli.js';
import { dgitInOk } from '../cli/in-process.js';

describe('dgit remote chunks in a clone that does not use the bucket its dgit.yml names', () => {
  it('says which bucket dgit.yml names and the command that reads from it (it said the chunks live in git)', async () => {
    const dir = tempDir();
    await dgitInOk(dir, 'init');
    expect(await dgitInOk(dir, 'remote', 'chunks')).toBe('chunks live in git\n');
    // As a plain `git clone` leaves it: the commit's dgit.yml names a bucket, the clone has no setting.
    fs.writeFileSync(path.join(dir, 'dgit.yml'), 'version: 1\nstorage:\n  chunks: s3://acme-data/flights\n');
    execFileSync('git', ['add', 'dgit.yml'], { cwd: dir });
    execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '--quiet', '-m', 'chunks in a bucket'], { cwd: dir });
    expect(await dgitInOk(dir, 'remote', 'chunks')).toBe(
      'this clone keeps no chunk store, but dgit.yml names s3://acme-data/flights: `dgit remote chunks s3://acme-data/flights` reads the chunks from it\n',
    );
    expect(JSON.parse(await dgitInOk(dir, 'remote', 'chunks', '--json'))).toEqual({ chunks: null, named: 's3://acme-data/flights' });
    // An object such a clone lacks (a chunk of the bucket) says where it lives and how to read it, not "run dgit fsck".
    const repository = await Repository.open(dir);
    await expect(repository.store.read('0123456789abcdef0123456789abcdef01234567' as ObjectId)).rejects.toThrow(
      /not found: if it is a chunk, it lives in s3:\/\/acme-data\/flights, which this clone does not read yet: `dgit remote chunks s3:\/\/acme-data\/flights`/,
    );
  });
});
