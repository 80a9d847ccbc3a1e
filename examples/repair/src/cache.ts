import * as tf from '@tensorflow/tfjs-core';
import { createHash } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { EndpointCheckpoint } from '@airbench-ts-example/models';
import { hostname } from 'node:os';
import { join } from 'node:path';

// Trained endpoints under `<out>/endpoints/`, keyed by everything that shapes
// them, so the same command reuses them. A manifest (weight specs and the
// weights' SHA-256) and the weights, each written to a temporary file and renamed:
// an interrupted write leaves no half file, and a damaged one is trained again.

export function endpointKey(what: unknown): string {
  return createHash('sha256').update(JSON.stringify(what)).digest('hex').slice(0, 16);
}

interface Manifest {
  key: unknown;
  sha256: string;
  specs: tf.io.WeightsManifestEntry[];
}

export function loadEndpoint(dir: string, name: string): Record<string, tf.Tensor> | null {
  const [manifestPath, weightsPath] = [join(dir, `${name}.json`), join(dir, `${name}.bin`)];
  if (!existsSync(manifestPath) || !existsSync(weightsPath)) return null;
  try {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    const bytes = readFileSync(weightsPath);
    if (createHash('sha256').update(bytes).digest('hex') !== manifest.sha256) return null;
    return tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, manifest.specs);
  } catch {
    return null;
  }
}

export async function saveEndpoint(dir: string, name: string, key: unknown, weights: Record<string, tf.Tensor>): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const { data, specs } = await tf.io.encodeWeights(weights);
  const bytes = new Uint8Array(data);
  const write = (path: string, content: Uint8Array | string) => {
    writeFileSync(`${path}.tmp`, content);
    renameSync(`${path}.tmp`, path);
  };
  write(join(dir, `${name}.bin`), bytes);
  write(join(dir, `${name}.json`), JSON.stringify({ key, sha256: createHash('sha256').update(bytes).digest('hex'), specs } satisfies Manifest, null, 1));
}

/** An endpoint's training state as `<dir>/<name>.ckpt`, written atomically every 50 steps; removed once the endpoint is saved. */
export function endpointCheckpoint(dir: string, name: string, key: string): EndpointCheckpoint & { remove(): void } {
  const path = join(dir, `${name}.ckpt`);
  return {
    key,
    everySteps: 50,
    load: async () => (existsSync(path) ? new Uint8Array(readFileSync(path)) : null),
    save: async (bytes) => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${path}.tmp`, bytes);
      renameSync(`${path}.tmp`, path);
    },
    onWarning: (message) => process.stderr.write(`repair: ${message}\n`),
    onResume: (step, total) => process.stderr.write(`repair: ${name}: resuming after step ${step} of ${total} from ${path}\n`),
    remove: () => rmSync(path, { force: true }),
  };
}

/** Who trains an endpoint: a process, on a host, since a boot of it (Linux's boot id, so a lock left before a restart is stale). */
interface LockHolder {
  pid: number;
  host: string;
  boot: string | null;
}

const bootId = (): string | null => {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
};

function readLock(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null; // released in between
  }
}

function parseHolder(text: string): LockHolder | null {
  try {
    const holder = JSON.parse(text) as Partial<LockHolder>;
    return typeof holder.pid === 'number' && typeof holder.host === 'string' ? { pid: holder.pid, host: holder.host, boot: holder.boot ?? null } : null;
  } catch {
    return null; // not a lock of ours
  }
}

/**
 * Removes the lock at `path` if it still reads `seen` (null: absent), deciding under `<path>.break`, a second lock
 * taken with the same atomic link: a read and a removal by two processes cannot interleave. Returns whether the lock
 * is gone. A `.break` left by a process that died within those microseconds is removed after a second.
 */
export function removeIfUnchanged(path: string, seen: string | null, temporary: string): boolean {
  const breaker = `${path}.break`;
  for (let waited = 0; ; waited += 20) {
    try {
      linkSync(temporary, breaker);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (waited >= 1000) rmSync(breaker, { force: true });
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
  try {
    if (readLock(path) !== seen) return false;
    rmSync(path, { force: true });
    return true;
  } finally {
    rmSync(breaker, { force: true });
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // there, but another user's
  }
}

/**
 * One command at a time trains an endpoint: `<dir>/<name>.lock` names the
 * training process (pid, host, boot). Taking it while another live process
 * holds it is refused, naming that process; a lock whose process is gone
 * (stopped with kill -9, or before a restart) is taken over, so the command
 * resumes from the checkpoint. A pid, not a lock refreshed on a timer: a
 * training step holds Node's event loop for seconds to minutes (ResNet20 ×4 on
 * 2 cores: ~30 s), so no timer could keep such a lock fresh. Returns the release.
 */
export function lockEndpoint(dir: string, name: string): () => void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.lock`);
  const mine: LockHolder = { pid: process.pid, host: hostname(), boot: bootId() };
  const text = JSON.stringify(mine);
  // Written whole to a temporary file, then linked to its name: the link fails if a lock is there, and no process reads half a lock.
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        linkSync(temporary, path);
        return () => {
          if (existsSync(path) && readFileSync(path, 'utf8') === text) rmSync(path, { force: true });
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const seen = readLock(path);
      const holder = parseHolder(seen ?? '');
      const gone =
        holder === null ||
        (holder.host === mine.host && (holder.pid === mine.pid || (holder.boot !== null && holder.boot !== mine.boot) || !running(holder.pid)));
      // Its process is gone: the checkpoint it left is resumed. Removed only if it is still the lock read above, so
      // that of two commands taking over the same stale lock, the second does not remove the first's new one.
      if (gone && attempt === 0 && removeIfUnchanged(path, seen, temporary)) continue;
      const now = parseHolder(readLock(path) ?? '') ?? holder; // the one that took it over in between, if any
      const who = now ? `process ${now.pid} on ${now.host}` : 'another process';
      throw new Error(
        `endpoint ${name} is being trained by ${who} (lock ${path}). Wait for that command to finish: it saves the endpoint, which this command then reuses. If no such process runs, delete ${path}.`,
      );
    }
    throw new Error('unreachable');
  } finally {
    rmSync(temporary, { force: true });
  }
}
