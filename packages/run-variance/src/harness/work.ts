import { InvalidArgumentError } from '../errors';
import { thisWorker } from '../store/common';
import type { Experiment, RunOutput, RunStore, Seeds, WorkerId } from '../store/types';

/** What the harness calls for each run: a function of its seeds (the model, order, augmentation seeds…). */
export type RunFunction = (seeds: Seeds, context: { signal: AbortSignal; attempt: number }) => Promise<RunOutput> | RunOutput;

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
    const started = performance.now();
    try {
      const output = await run(claim.seeds, { signal: controller.signal, attempt: claim.attempts });
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
