import { describe, expect, it } from 'vitest';
import { DgitError } from '../../engine/errors/index.js';
import { defaultCloneDirectory, parseRemoteUrl, redactUrl } from '../../engine/remote/remote-url.js';

function failure(run: () => unknown): DgitError {
  try {
    run();
  } catch (error) {
    if (error instanceof DgitError) return error;
    throw error;
  }
  throw new Error('expected a DgitError');
}

describe('remote URLs', () => {
  it('accepts HTTP(S) URLs and drops a trailing slash', () => {
    expect(parseRemoteUrl('https://github.com/acme/data.git/')).toBe('https://github.com/acme/data.git');
    expect(parseRemoteUrl('http://127.0.0.1:8080/data.git')).toBe('http://127.0.0.1:8080/data.git');
  });

  it('refuses SSH, git:// and local paths as unsupported, naming the HTTPS alternative', () => {
    for (const url of ['git@github.com:acme/data.git', 'ssh://git@github.com/acme/data.git', 'git://example.com/data.git', '/srv/git/data.git', '../data']) {
      const error = failure(() => parseRemoteUrl(url));
      expect(error.code, url).toBe('UNSUPPORTED');
    }
    expect(failure(() => parseRemoteUrl('git@github.com:acme/data.git')).message).toMatch(/use the HTTPS URL/);
  });

  it('redacts a password or a bare token in messages', () => {
    expect(redactUrl('https://x-access-token:ghp_secret@github.com/acme/data.git')).toBe('https://x-access-token:***@github.com/acme/data.git');
    expect(redactUrl('https://ghp_secret@github.com/acme/data.git')).toBe('https://***@github.com/acme/data.git');
    expect(redactUrl('https://github.com/acme/data.git')).toBe('https://github.com/acme/data.git');
    expect(failure(() => parseRemoteUrl('ftp://user:secret@example.com/x')).where).not.toContain('secret');
  });

  it('names the clone folder after the last path component, without .git', () => {
    expect(defaultCloneDirectory(parseRemoteUrl('https://github.com/acme/flight-data.git'))).toBe('flight-data');
    expect(defaultCloneDirectory(parseRemoteUrl('https://example.com/repos/data'))).toBe('data');
    expect(failure(() => defaultCloneDirectory(parseRemoteUrl('https://example.com/'))).code).toBe('INVALID_INPUT');
    expect(failure(() => defaultCloneDirectory(parseRemoteUrl('https://example.com/%2e%2e'))).code).toBe('INVALID_INPUT');
  });
});
