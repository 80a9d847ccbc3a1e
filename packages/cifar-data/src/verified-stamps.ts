import { existsSync, readFileSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from './atomic-file';

/** What `stat` said about a file when its MD5 last matched, as strings (nanosecond times). */
export interface Stamp {
  md5: string;
  size: string;
  mtimeNs: string;
  ctimeNs: string;
  ino: string;
  dev: string;
}

/**
 * Files whose official MD5 matched, kept in `<cache>/verified.json`, so that a
 * load hashes a file once, not every time (0.4 s of CPU for CIFAR-10's 178 MB, in
 * every process that loads it). A file counts as verified while `stat` says what
 * it said then: size, modification and change times, inode and device. The change
 * time moves with every write, rename or chmod and no tool can set it back, so a
 * rewritten, replaced or restored file is hashed again. `verifyDirectory`,
 * the `rehash` option and `npm run data -- verify` hash every byte.
 */
export class VerifiedStamps {
  private readonly file: string;
  private readonly stamps: Record<string, Stamp>;
  private changed = false;

  /** `rehash`: trust no record (every file is hashed, and recorded anew). */
  constructor(
    cacheRoot: string,
    private readonly options: { rehash?: boolean } = {},
  ) {
    this.file = join(cacheRoot, 'verified.json');
    this.stamps = readStamps(this.file);
  }

  /**
   * Whether `path` was verified against `md5` and has not changed since, and its
   * stamp now: taken before the file is read, so that a write during the read and
   * hash leaves a stamp that no longer matches (the file is hashed again next time).
   */
  async check(path: string, md5: string): Promise<{ verified: boolean; stamp: Stamp }> {
    const stamp = await stampOf(path, md5);
    const recorded = this.stamps[resolve(path)];
    return { verified: !this.options.rehash && recorded !== undefined && JSON.stringify(recorded) === JSON.stringify(stamp), stamp };
  }

  /** Records that the file `stamp` was taken of matched its MD5. */
  add(path: string, stamp: Stamp): void {
    this.stamps[resolve(path)] = stamp;
    this.changed = true;
  }

  /** Writes the record (atomically); a cache that cannot be written only means hashing again next time. */
  async save(): Promise<void> {
    if (!this.changed) return;
    // Files gone since (a deleted copy, a temporary directory) leave the record.
    for (const path of Object.keys(this.stamps)) if (!existsSync(path)) delete this.stamps[path];
    await mkdir(dirname(this.file), { recursive: true })
      .then(() => writeFileAtomic(this.file, Buffer.from(`${JSON.stringify(this.stamps, null, 1)}\n`)))
      .catch(() => undefined);
    this.changed = false;
  }
}

async function stampOf(path: string, md5: string): Promise<Stamp> {
  const info = await stat(path, { bigint: true });
  return { md5, size: String(info.size), mtimeNs: String(info.mtimeNs), ctimeNs: String(info.ctimeNs), ino: String(info.ino), dev: String(info.dev) };
}

function readStamps(file: string): Record<string, Stamp> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, Stamp>) : {};
  } catch {
    return {}; // none yet, or damaged: everything is hashed again
  }
}
