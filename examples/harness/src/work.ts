// The run/worker commands' two halves, shared by the examples that train on the
// run-variance harness (this one and examples/flip-ablation): the parent starts
// worker processes on an experiment, shows progress with an ETA, prints a JSON
// line per finished run and stops cleanly on Ctrl-C; each worker process claims
// and trains runs.
import { SingleBar } from 'cli-progress';
import { availableParallelism } from 'node:os';
import { selectBackend } from '@airbench-ts-example/backend';
import { openStore, startWorkers, workOn, type Experiment, type RunContext, type RunOutput, type RunRecord, type RunStore, type Seeds } from '@airbench-ts/run-variance';

export interface WorkOptions {
  /** The worker script, started as `node --import tsx <script> <store> <experiment>`. */
  script: string;
  /** What messages start with, e.g. 'variance'. */
  program: string;
  store: string;
  workers: number;
  backend?: string;
  json: boolean;
  /** Extra fields of a run's JSON line (default: none). */
  describe?: (run: RunRecord) => Record<string, unknown>;
}

/** Starts the worker processes and shows progress until no run is left (or Ctrl-C). Returns the exit code. */
export async function workWithProgress(store: RunStore, experiment: Experiment, options: WorkOptions): Promise<number> {
  const counts = await store.counts(experiment);
  const summarise = (c: typeof counts) => process.stderr.write(`experiment '${experiment.name}': ${c.done} done, ${c.failed} failed, ${c.pending + c.running} left\n`);
  if (counts.pending + counts.running === 0) {
    // Nothing to claim: no worker process (each loads TensorFlow, seconds of start-up for nothing).
    summarise(counts);
    return 0;
  }
  // TensorFlow sizes its thread pools to every core in each process: W workers
  // on C cores would run W × C threads and spend half the time in the kernel
  // (measured: 50% system time with 3 workers on 2 cores). Give each worker its
  // share, unless the caller set TF_NUM_INTRAOP_THREADS itself.
  const threads = process.env.TF_NUM_INTRAOP_THREADS ?? String(Math.max(1, Math.floor(availableParallelism() / options.workers)));
  const pool = startWorkers({
    script: options.script,
    args: [options.store, experiment.name],
    count: options.workers,
    execArgv: ['--import', 'tsx', '--conditions=@airbench-ts/source'],
    env: { ...(options.backend ? { AIRBENCH_BACKEND: options.backend } : {}), TF_CPP_MIN_LOG_LEVEL: '2', TF_NUM_INTRAOP_THREADS: threads, TF_NUM_INTEROP_THREADS: process.env.TF_NUM_INTEROP_THREADS ?? '1' },
  });
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    process.stderr.write(`\n${options.program}: stopping; finished runs are kept, runs in progress go back to the queue. Run the same command to continue.\n`);
    pool.stop();
  };
  process.on('SIGINT', onSignal);

  const total = counts.pending + counts.running + counts.done + counts.failed;
  const bar = process.stderr.isTTY && !options.json ? new SingleBar({ format: `${experiment.name} [{bar}] {value}/{total} runs | {failed} failed | ETA {eta_formatted}`, stream: process.stderr, etaBuffer: 20 }) : null;
  bar?.start(total, counts.done, { failed: counts.failed });
  const reported = new Set<string>();
  const seenDone = async () => {
    const done = await store.runs(experiment, { state: 'done' });
    for (const run of done) {
      const key = JSON.stringify(run.seeds);
      if (reported.has(key)) continue;
      reported.add(key);
      if (options.json) process.stdout.write(`${JSON.stringify({ experiment: experiment.name, seeds: run.seeds, ...options.describe?.(run), accuracy: run.accuracy, seconds: run.seconds, backend: run.backend })}\n`);
    }
  };
  if (options.json) for (const run of await store.runs(experiment, { state: 'done' })) reported.add(JSON.stringify(run.seeds));
  let finished = false;
  const exitCodes = pool.done.finally(() => (finished = true));
  while (!finished) {
    // Every second, or at once when the last worker exits.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise((resolve) => (timer = setTimeout(resolve, 1000))), exitCodes]);
    clearTimeout(timer);
    const now = await store.counts(experiment);
    bar?.update(now.done, { failed: now.failed });
    await seenDone();
  }
  bar?.stop();
  process.off('SIGINT', onSignal);
  const codes = await exitCodes;
  const final = await store.counts(experiment);
  summarise(final);
  if (interrupted) return 130;
  return codes.every((code) => code === 0) ? 0 : 1;
}

/**
 * The body of a worker process (`node --import tsx worker.ts <store-url> <experiment>`,
 * started by workWithProgress): opens the store and the experiment, picks the
 * backend, and claims and trains runs with `run` until none are left. Ctrl-C
 * puts the run in progress back in the queue; its checkpoint stays in the store.
 */
export async function runWorker<Config>(run: (config: Config, seeds: Seeds, backend: string, context: RunContext) => Promise<RunOutput>, lease: { leaseSeconds: number; heartbeatSeconds: number }): Promise<void> {
  const [url, name] = process.argv.slice(2);
  const store = await openStore(url!, { mode: 'existing' });
  const experiment = await store.getExperiment(name!);
  const config = experiment.config as Config;
  const backend = await selectBackend({ log: () => {} });
  const controller = new AbortController();
  // on, not once: a terminal's Ctrl-C reaches this process and the parent, which forwards it again.
  process.on('SIGINT', () => controller.abort(new Error('interrupted')));
  try {
    // The run record names the backend, and whether our GELU op ran (results within float rounding of tfjs ops).
    const backendName = backend.nativeOps?.ops.length ? `${backend.name} (native ops)` : backend.name;
    await workOn({ store, experiment, signal: controller.signal, run: (seeds, context) => run(config, seeds, backendName, context), ...lease });
  } finally {
    await store.close();
  }
}
