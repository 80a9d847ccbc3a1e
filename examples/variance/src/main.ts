// Paper 2, variance between runs: many trainings of a narrow airbench94 with
// independent model, order and augmentation seeds, on a durable store, then the
// paper's statistics. Wires cifar-data, derand-flip, airbench-net (in the
// workers: the harness workspace's runAirbench) and run-variance (store,
// workers, statistics).
//
//   npm run variance -- --help
import { fileURLToPath } from 'node:url';
import { loadCifar10 } from '@airbench-ts/cifar-data';
import { openStore, type Experiment } from '@airbench-ts/run-variance';
import { configFromOptions, experimentName, seedsOf } from './experiment';
import { parseOptions } from './options';
import { writeReport } from './report';
import { workWithProgress } from '@airbench-ts-example/harness/work';

export async function main(argv: string[]): Promise<number> {
  const parsed = parseOptions(argv);
  if ('exit' in parsed) return parsed.exit;
  const options = parsed;
  // Only `run` may create a store: `report` and `worker` on a mistyped path are refused, leaving no file behind;
  // `report` writes nothing at all (an older store is read as it is, not migrated).
  const store = await openStore(options.store, { mode: options.command === 'run' ? 'create' : options.command === 'report' ? 'read' : 'existing' });
  try {
    if (options.command === 'report') return await writeReport(store, options);
    let experiments: Experiment[];
    if (options.command === 'run') {
      const { test } = await loadCifar10({ progress: !options.json });
      experiments = [];
      // One experiment per training length (--epochs 4,8,16: the study of std against length), queued first, worked in order.
      for (const epochs of options.epochs ?? [undefined]) {
        const config = configFromOptions(options, epochs);
        const experiment = await store.openExperiment({ name: experimentName(options, config), config, labels: test.labels.slice(0, config.testSubset) });
        const added = await store.enqueue(experiment, Array.from({ length: options.runs }, (_, s) => seedsOf(config.vary, s)));
        process.stderr.write(`experiment '${experiment.name}' in ${options.store}: ${added} new run(s) queued of ${options.runs}\n`);
        experiments.push(experiment);
      }
    } else {
      experiments = [await store.getExperiment(options.experiment!)];
    }
    for (const experiment of experiments) {
      const code = await workWithProgress(store, experiment, { ...options, script: fileURLToPath(new URL('./worker.ts', import.meta.url)), program: 'variance' });
      if (code !== 0) return code;
    }
    return 0;
  } finally {
    await store.close();
  }
}

