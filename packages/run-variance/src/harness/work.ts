import { InvalidArgumentError } from '../errors';
import { thisWorker } from '../store/common';
import type { Experiment, RunOutput, RunStore, Seeds, WorkerId } from '../store/types';

/** What the harness calls for each run: a function of its seeds (the model, order, augmentation seeds…). */
export type RunFunction = (seeds: Seeds, context: RunContext) => Promise<RunOutput> | RunOutput;

export interface RunContext {
  /** Aborted on Ctrl-C or when the run's lease is lost: stop, and throw. */
  signal: AbortSignal;
  /** 1 on the first try, 2 on the first retry, … */
  attempt: number;
  /** The run's checkpoint in the store, shared by every worker: a reclaimed run resumes from it. */
  checkpoint: CheckpointSlot;
}

export interface CheckpointSlot {
  /**
   * The run's latest checkpoint (saved by an earlier worker, attempt or session), or null:
   * none yet, or the stored one is damaged (then a warning names it, and the run starts over).
   */
  load(): Promise<Uint8Array | null>;
  /**
   * Keeps `bytes` as the run's latest checkpoint, replacing the previous one, and renews the
   * lease. `progress` is plain JSON kept beside it (e.g. { step, totalSteps }). Throws, and
   * aborts the run, when the run is no longer this worker's.
   */
  save(bytes: Uint8Array, progress?: unknown): Promise<void>;
}

export interface WorkOptions {
  store: RunStore;
  experiment: Experiment;
  run: RunFunction;
  /** A claimed run is the worker's for this long after each heartbeat. Default 120 s. */
  leaseSeconds?: number;
  /** How often the lease is renewed while a run trains. Default leaseSeconds / 4. */
  heartbeatSeconds?: number;
  /** A run that throws is retried until it has been tried this often, then marked failed. Default 3. */
  maxAttempts?: number;
  /** Stop after the run in progress is released (Ctrl-C): it goes back to pending. */
  signal?: AbortSignal;
  /** After each run, stored or not. */
  onRun?: (event: { seeds: Seeds; ok: boolean; stored: boolean; seconds: number; accuracy?: number; error?: string }) => void;
  worker?: WorkerId;
  /** Where warnings go (a damaged checkpoint). Default: stderr. */
  onWarning?: (message: string) => void;
}

/**
 * One worker's loop: claim a run, call `run` with its seeds while renewing the
 * lease, store the result (or the error, for a retry), until no run is left to
 * claim. Many of these, in child processes or on other machines, share one store.
 * Returns how many runs this worker finished.
 */
export async function workOn(options: WorkOptions): Promise<{ finished: number; failed: number; released: boolean }> {
  const { store, experiment, run, leaseSeconds = 120, maxAttempts = 3, signal } = options;
  const heartbeatSeconds = options.heartbeatSeconds ?? leaseSeconds / 4;
  if (!(leaseSeconds > 0) || !(heartbeatSeconds > 0) || heartbeatSeconds >= leaseSeconds) {
    throw new InvalidArgumentError('leaseSeconds', `workOn: need 0 < heartbeatSeconds (${heartbeatSeconds}) < leaseSeconds (${leaseSeconds}).`);
  }
  const worker = options.worker ?? thisWorker();
  const warn = options.onWarning ?? ((message: string) => void process.stderr.write(`warning: ${message}\n`));
  let finished = 0;
  let failed = 0;
  while (!signal?.aborted) {
    const claim = await store.claim(experiment, worker, leaseSeconds);
    if (!claim) break;
    const controller = new AbortController();
    const stop = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', stop, { once: true });
    // The lease is renewed between training steps (the run must yield now and then, as airbench-net's train does).
    const timer = setInterval(() => {
      store.heartbeat(experiment, claim.key, worker, leaseSeconds).then(
        (mine) => mine || controller.abort(new Error(`the lease of run ${claim.key} was lost`)),
        () => {},
      );
    }, heartbeatSeconds * 1000);
    const checkpoint: CheckpointSlot = {
      load: async () => {
        const stored = await store.loadCheckpoint(experiment, claim.key);
        if (stored && !stored.intact) {
          warn(`run ${claim.key} of '${experiment.name}': its checkpoint of ${stored.savedAt} (${stored.bytes.length} bytes) does not match its SHA-256; it is not loaded, the run starts over.`);
          return null;
        }
        return stored?.bytes ?? null;
      },
      save: async (bytes, progress) => {
        if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('checkpoint', `checkpoint.save: 'bytes' must be a Uint8Array, not ${typeof bytes}.`);
        if (!(await store.saveCheckpoint(experiment, claim.key, worker, bytes, progress, leaseSeconds))) {
          const lost = new Error(`the lease of run ${claim.key} was lost; its checkpoint was not written`);
          controller.abort(lost);
          throw lost;
        }
      },
    };
    const started = performance.now();
    try {
      const output = await run(claim.seeds, { signal: controller.signal, attempt: claim.attempts, checkpoint });
      if (signal?.aborted) throw signal.reason ?? new Error('stopped');
      const seconds = output.seconds ?? (performance.now() - started) / 1000;
      const { stored, accuracy } = await store.complete(experiment, claim.key, worker, { ...output, seconds });
      finished += 1;
      options.onRun?.({ seeds: claim.seeds, ok: true, stored, seconds, accuracy });
    } catch (error) {
      if (signal?.aborted) {
        await store.release(experiment, claim.key, worker);
        return { finished, failed, released: true };
      }
      const message = error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error);
      await store.fail(experiment, claim.key, worker, message, maxAttempts);
      failed += 1;
      options.onRun?.({ seeds: claim.seeds, ok: false, stored: false, seconds: (performance.now() - started) / 1000, error: error instanceof Error ? error.message : String(error) });
    } finally {
      clearInterval(timer);
      signal?.removeEventListener('abort', stop);
    }
  }
  return { finished, failed, released: false };
}
