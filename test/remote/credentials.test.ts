import { describe, expect, it } from 'vitest';
import { CredentialProvider, environmentCredentials } from '../../engine/remote/credentials.js';

describe('credentials from the environment', () => {
  it('DGIT_TOKEN goes to any host as x-access-token, or as DGIT_USERNAME', () => {
    expect(environmentCredentials('https://data.example.com/x.git', { DGIT_TOKEN: 't1' })).toEqual({ username: 'x-access-token', password: 't1', source: 'DGIT_TOKEN' });
    expect(environmentCredentials('https://gitlab.example.com/x.git', { DGIT_TOKEN: 't1', DGIT_USERNAME: 'oauth2' })).toMatchObject({ username: 'oauth2' });
  });

  it('GITHUB_TOKEN goes only to GitHub hosts, so a CI token never reaches another server', () => {
    const env = { GITHUB_TOKEN: 'gh' };
    expect(environmentCredentials('https://github.com/acme/data.git', env)).toMatchObject({ password: 'gh', source: 'GITHUB_TOKEN' });
    expect(environmentCredentials('https://acme.ghe.com/acme/data.git', env)).toMatchObject({ source: 'GITHUB_TOKEN' });
    expect(environmentCredentials('https://evil.example.com/github.com/data.git', env)).toBeUndefined();
    expect(environmentCredentials('https://github.com.evil.example/data.git', env)).toBeUndefined();
    expect(environmentCredentials('https://git.corp.example/a/b.git', { ...env, GITHUB_SERVER_URL: 'https://git.corp.example' })).toMatchObject({ source: 'GITHUB_TOKEN' });
  });

  it('DGIT_TOKEN wins over GITHUB_TOKEN, and an explicit token wins over both', async () => {
    expect(environmentCredentials('https://github.com/a/b.git', { DGIT_TOKEN: 'd', GITHUB_TOKEN: 'g' })).toMatchObject({ password: 'd' });
    const provider = new CredentialProvider({ env: { DGIT_TOKEN: 'd' }, token: 'installation' });
    expect(await provider.onAuth('https://github.com/a/b.git', {})).toEqual({ username: 'x-access-token', password: 'installation' });
    expect(provider.describeFailure()).toBe('the credentials from token option were refused');
  });
});
