import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CheckpointError, decodeTrainingState, encodeTrainingState, type TrainingState } from '@airbench-ts/airbench-net';

// ---------------------------------------------------------------------------
// One run's checkpoints in a directory of its own (named by the run's key)
// ---------------------------------------------------------------------------
//
// Each state is written to a temporary file, flushed to disk, then renamed to
// step-<n>.ckpt: a kill at any moment leaves the previous checkpoints whole and
// at most a stray temporary file, which the next run removes. The newest two
// are kept, so a damaged newest one (a disk error, a hand edit: the SHA-256 in
// the bytes catches it) still leaves one to resume from.

const FILE = /^step-(\d+)\.ckpt$/;
const KEEP = 2;

export interface FoundState {
  state: TrainingState;
  file: string;
}

export class CheckpointDir {
  constructor(
    readonly dir: string,
    private readonly warn: (message: string) => void,
  ) {}

  /** The newest checkpoint that decodes; damaged ones are named in a warning, renamed to *.damaged and never loaded. */
  async latest(): Promise<FoundState | undefined> {
    for (const name of await this.files()) {
      const file = join(this.dir, name);
      try {
        return { state: await decodeTrainingState(await readFile(file), file), file };
      } catch (error) {
        if (!CheckpointError.isInstance(error)) throw error;
        this.warn(`${error.message} It is kept as ${file}.damaged.`);
        await rename(file, `${file}.damaged`);
      }
    }
    return undefined;
  }

  /** Writes a state atomically and drops all but the newest two. Returns the file and the seconds it took. */
  async save(state: TrainingState): Promise<{ file: string; seconds: number }> {
    const started = performance.now();
    const bytes = await encodeTrainingState(state);
    const file = join(this.dir, `step-${String(state.step).padStart(6, '0')}.ckpt`);
    await writeAtomic(file, bytes);
    for (const name of (await this.files()).slice(KEEP)) await rm(join(this.dir, name), { force: true });
    return { file, seconds: (performance.now() - started) / 1000 };
  }

  /** Removes the run's checkpoints (it has finished). */
  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Checkpoint files, newest first; stray temporary files of an interrupted write are removed. */
  private async files(): Promise<string[]> {
    const names = await readdir(this.dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as string[];
      throw error;
    });
    for (const name of names.filter((n) => n.endsWith('.tmp'))) await rm(join(this.dir, name), { force: true });
    return names
      .filter((name) => FILE.test(name))
      .sort((a, b) => Number(FILE.exec(b)![1]) - Number(FILE.exec(a)![1]));
  }
}

/** temp file → write → fsync → rename → fsync the directory: the file is the old one or the new one, whole. */
async function writeAtomic(file: string, bytes: Uint8Array): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  const temporary = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temporary, 'w');
  try {
    const half = Math.floor(bytes.length / 2);
    await handle.write(bytes, 0, half);
    // For the test suite's kill -9 during a write: AIRBENCH_TEST_STALL_CHECKPOINT=step-000003.ckpt stops
    // half-way through writing that file for a minute, so a real process dies with half a file on disk.
    if (process.env.AIRBENCH_TEST_STALL_CHECKPOINT && file.endsWith(process.env.AIRBENCH_TEST_STALL_CHECKPOINT)) {
      process.stderr.write(`checkpoint: writing ${temporary}\n`);
      await new Promise((resolve) => setTimeout(resolve, 60_000));
    }
    await handle.write(bytes, half, bytes.length - half);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temporary, file);
  const directory = await open(dir, 'r');
  await directory.sync().finally(() => directory.close());
}
