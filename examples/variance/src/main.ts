// Paper 2, variance between runs: many trainings of a narrow airbench94 with
// independent model, order and augmentation seeds, on a durable store, then the
// paper's statistics. Wires cifar-data, derand-flip, airbench-net (in the
// workers, src/run-one.ts) and run-variance (store, workers, statistics).
//
//   npm run variance -- --help
import { SingleBar } from 'cli-progress';
import { fileURLToPath } from 'node:url';
import { loadCifar10 } from '@airbench-ts/cifar-data';
import { openStore, startWorkers, type Experiment, type RunStore } from '@airbench-ts/run-variance';
import { configFromOptions, experimentName, seedsOf } from './experiment';
import { parseOptions, type Options } from './options';
import { writeReport } from './report';

export async function main(argv: string[]): Promise<number> {
  const parsed = parseOptions(argv);
  if ('exit' in parsed) return parsed.exit;
  const options = parsed;
  const store = await openStore(options.store);
  try {
    if (options.command === 'report') return await writeReport(store, options);
    let experiment: Experiment;
    if (options.command === 'run') {
      const config = configFromOptions(options);
      const { test } = await loadCifar10({ progress: !options.json });
      const labels = test.labels.slice(0, config.testSubset);
      experiment = await store.openExperiment({ name: experimentName(options, config), config, labels });
      const added = await store.enqueue(experiment, Array.from({ length: options.runs }, (_, s) => seedsOf(config.vary, s)));
      process.stderr.write(`experiment '${experiment.name}' in ${options.store}: ${added} new run(s) queued of ${options.runs}\n`);
    } else {
      experiment = await store.getExperiment(options.experiment!);
    }
    return await work(store, experiment, options);
  } finally {
    await store.close();
  }
}

/** Starts the worker processes and shows progress until no run is left (or Ctrl-C). */
async function work(store: RunStore, experiment: Experiment, options: Options): Promise<number> {
  const script = fileURLToPath(new URL('./worker.ts', import.meta.url));
  const pool = startWorkers({
    script,
    args: [options.store, experiment.name],
    count: options.workers,
    execArgv: ['--import', 'tsx', '--conditions=@airbench-ts/source'],
    env: { ...(options.backend ? { AIRBENCH_BACKEND: options.backend } : {}), TF_CPP_MIN_LOG_LEVEL: '2' },
  });
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    process.stderr.write('\nvariance: stopping; finished runs are kept, runs in progress go back to the queue. Run the same command to continue.\n');
    pool.stop();
  };
  process.on('SIGINT', onSignal);

  const counts = await store.counts(experiment);
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
      if (options.json) process.stdout.write(`${JSON.stringify({ experiment: experiment.name, seeds: run.seeds, accuracy: run.accuracy, seconds: run.seconds, backend: run.backend })}\n`);
    }
  };
  if (options.json) for (const run of await store.runs(experiment, { state: 'done' })) reported.add(JSON.stringify(run.seeds));
  let finished = false;
  const exitCodes = pool.done.finally(() => (finished = true));
  while (!finished) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = await store.counts(experiment);
    bar?.update(now.done, { failed: now.failed });
    await seenDone();
  }
  bar?.stop();
  process.off('SIGINT', onSignal);
  const codes = await exitCodes;
  const final = await store.counts(experiment);
  process.stderr.write(`experiment '${experiment.name}': ${final.done} done, ${final.failed} failed, ${final.pending + final.running} left\n`);
  if (interrupted) return 130;
  return codes.every((code) => code === 0) ? 0 : 1;
}
