import fs from 'node:fs';
import path from 'node:path';

/**
 * The files under a folder, as '/'-separated paths relative to it, depth first;
 * a folder that does not exist (or cannot be read) holds none. For dgit's own
 * folders of refs and state files, which may be absent in any repository.
 */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (at: string, prefix: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(at, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.isDirectory()) walk(path.join(at, entry.name), `${prefix}${entry.name}/`);
      else out.push(`${prefix}${entry.name}`);
    }
  };
  walk(dir, '');
  return out;
}
