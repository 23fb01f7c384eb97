import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { traceWrite } from './write-trace.js';

/**
 * A name beside `target` to write a file under before renaming it over `target`:
 * the pid and random bytes, so no other process, and no other thread of this one,
 * writes the same temp file. `hidden` starts it with a dot, for folders people and
 * engines list.
 */
export function tempSibling(target: string, options: { hidden?: boolean } = {}): string {
  const name = `${options.hidden ? '.' : ''}${path.basename(target)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  return path.join(path.dirname(target), name);
}

/**
 * Replace a file so that a reader (or a process killed at any instant) sees the
 * old content or the new, never a mix: write a temporary file beside it, fsync,
 * rename over the target, fsync the directory.
 */
export function writeFileAtomic(target: string, content: string | Uint8Array): void {
  const dir = path.dirname(target);
  fs.mkdirSync(dir, { recursive: true });
  traceWrite(`state ${path.basename(target)}`);
  const temp = tempSibling(target, { hidden: true });
  const fd = fs.openSync(temp, 'w');
  try {
    fs.writeSync(fd, typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(temp, target);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
  fsyncDirectory(dir);
}

export function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic there.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export function readFileIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
