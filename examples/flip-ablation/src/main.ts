// The airbench paper's flip ablation: no flip, random flip and the alternating
// flip at several epoch budgets, on the run-variance harness; then per cell the
// mean with its CI, the tests between flips, and the epochs random flip needs to
// match alternating flip. Wires cifar-data, derand-flip, airbench-net (or the
// models workspace's VGG11) in the workers (src/run-one.ts) and run-variance.
//
//   npm run flip-ablation -- --help
import { fileURLToPath } from 'node:url';
import { emulatedBf16Reason } from '@airbench-ts-example/backend';
import { loadCifar10 } from '@airbench-ts/cifar-data';
import { openStore, type Experiment } from '@airbench-ts/run-variance';
import { workWithProgress } from '@airbench-ts-example/harness/work';
import { configOf, epochsOf, experimentName, modeOf, runKeys } from './experiment';
import { parseOptions } from './options';
import { writeReport } from './report';

export async function main(argv: string[]): Promise<number> {
  const parsed = parseOptions(argv);
  if ('exit' in parsed) return parsed.exit;
  const options = parsed;
  // Only `run` may create a store: `report` and `worker` on a mistyped path are refused, leaving no file behind;
  // `report` writes nothing at all (an older store is read as it is, not migrated).
  const store = await openStore(options.store, { mode: options.command === 'run' ? 'create' : options.command === 'report' ? 'read' : 'existing' });
  try {
    if (options.command === 'report') return await writeReport(store, options);
    let experiment: Experiment;
    if (options.command === 'run') {
      const config = configOf(options.preset, options.net, options.precision);
      const { test } = await loadCifar10({ progress: !options.json });
      experiment = await store.openExperiment({ name: options.experiment ?? experimentName(config), config, labels: test.labels.slice(0, config.testSubset) });
      const keys = runKeys(options.budgets, options.modes, options.runs);
      const added = await store.enqueue(experiment, keys);
      process.stderr.write(`experiment '${experiment.name}' in ${options.store}: ${options.budgets.length} budget(s) × ${options.modes.length} flip(s) × ${options.runs} run(s); ${added} new run(s) queued of ${keys.length}\n`);
    } else {
      experiment = await store.getExperiment(options.experiment!);
    }
    const refusal = emulatedBf16Refusal(experiment, options);
    if (refusal) {
      process.stderr.write(`${refusal}\n`);
      return 2;
    }
    return await workWithProgress(store, experiment, {
      script: fileURLToPath(new URL('./worker.ts', import.meta.url)),
      program: 'flip-ablation',
      store: options.store,
      workers: options.workers,
      json: options.json,
      ...(options.backend ? { backend: options.backend } : {}),
      describe: (run) => ({ epochs: epochsOf(run.seeds), flip: modeOf(run.seeds), seed: run.seeds.seed }),
    });
  } finally {
    await store.close();
  }
}

/**
 * A bf16 experiment on a CPU that would emulate bf16 is refused before any training starts (the queued runs stay
 * queued for a machine that computes bf16): one full-data run would take about 17 hours instead of 10 minutes.
 */
function emulatedBf16Refusal(experiment: Experiment, options: { backend?: string; allowEmulatedBf16: boolean }): string | null {
  if ((experiment.config as { precision?: string }).precision !== 'bf16' || options.allowEmulatedBf16) return null;
  const reason = emulatedBf16Reason(options.backend);
  if (reason === null) return null;
  return `error: experiment '${experiment.name}' trains in bf16, and ${reason}. Work on it on a CPU with AVX512-BF16 or AMX (or a GPU), use --precision fp32 (another experiment), or pass --allow-emulated-bf16 to run it here anyway.`;
}
