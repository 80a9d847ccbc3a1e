// Paper 1, airbench: train airbench94/95/96 on CIFAR-10 with the alternating
// flip, N runs, and print airbench's per-epoch table. Wires three packages:
//   @airbench-ts/cifar-data  (data + loader) → @airbench-ts/derand-flip (flip policy)
//   → @airbench-ts/airbench-net (network, training, TTA evaluation);
// the first two through the harness workspace's airbenchLoader.
//
//   npm run airbench -- --help
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CIFAR100_MEAN, CIFAR100_STD, CifarLoader, defaultCacheDir, loadCifar10, loadCifar100, normalizeImages, type ImageSplit } from '@airbench-ts/cifar-data';
import { disposeModel, evaluate, makeConfig, serializeModel, train, type AirbenchConfig, type Precision, type TrainingState, type VariantName } from '@airbench-ts/airbench-net';
import { saveModel } from '@airbench-ts/airbench-net/node';
import { emulatedBf16Reason, hasNativeBf16, selectBackend, type BackendInfo } from '@airbench-ts-example/backend';
import { airbenchLoader } from '@airbench-ts-example/harness';
import { onStopSignal, stopExitCode, type StopSignal } from '@airbench-ts-example/cli';
import { parseOptions, type Options } from './options';
import { CheckpointDir } from './checkpoints';
import { printSummary, printTableHeader, printTableRow, RunProgress } from './report';
import { writeCurves } from './plot';
import { appendRun, completedRuns, numericsVersion, resolveConfig, runKey, type RunRecord } from './results';

const VARIANTS: Record<Options['variant'], VariantName> = {
  '94': 'airbench94',
  '95': 'airbench95',
  '96': 'airbench96',
  '96-legacy': 'airbench96-legacy',
  '94-muon': 'airbench94_muon',
};

export async function main(argv: string[]): Promise<number> {
  const parsed = parseOptions(argv);
  if ('exit' in parsed) return parsed.exit;
  const options = parsed;

  const variantName = VARIANTS[options.variant];
  const batchSize = options.batchSize ?? makeConfig(variantName).batchSize;
  if (options.trainSubset !== undefined && options.trainSubset < batchSize) {
    process.stderr.write(`airbench: --train-subset ${options.trainSubset} is smaller than one batch (${batchSize} images); use at least ${batchSize}.\n`);
    return 2;
  }
  const backend = await selectBackend({ ...(options.backend ? { backend: options.backend } : {}) });
  const precision = resolvePrecision(options.precision, backend);
  // Only the training images a --train-subset run uses are decoded; the test split stays whole (its size keys the record).
  const fetchOptions = { ...(options.dataDir ? { dataDir: options.dataDir } : {}), progress: !options.json, ...(options.trainSubset !== undefined ? { subset: { train: options.trainSubset } } : {}) };
  // CIFAR-100 is normalised with its own channel statistics; everything else is as for CIFAR-10.
  const data: { train: ImageSplit; test: ImageSplit } = options.dataset === 'cifar100' ? await loadCifar100(fetchOptions) : await loadCifar10(fetchOptions);
  const stats = options.dataset === 'cifar100' ? { mean: CIFAR100_MEAN, std: CIFAR100_STD } : {};
  const trainSize = options.trainSubset ?? data.train.length;
  const config: AirbenchConfig = resolveConfig({
    variant: variantName,
    dataset: options.dataset,
    trainSize,
    precision,
    ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
    ...(options.tta !== undefined ? { tta: options.tta } : {}),
    ...(options.widths ? { widths: options.widths } : {}),
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
  });
  const whitening = normalizeImages(data.train, { count: config.whiteningImages, ...stats });
  // Batches of 500: on 2 CPU cores TTA evaluation ran 1.8× faster per image than at 2,000 (bench:airbench
  // --eval-batch), and holds a quarter of the activations.
  const test = new CifarLoader(data.test, { batchSize: 500, ...(options.testSubset ? { subset: options.testSubset } : {}), ...stats });
  const testSize = test.size;

  // What a record says of its setting, for readers (the key below decides what counts as the same run).
  const overrides = {
    ...(options.dataset === 'cifar100' ? { dataset: options.dataset } : {}),
    ...(options.widths ? { widths: options.widths } : {}),
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(precision !== 'fp32' ? { precision } : {}),
  };
  const testKey = testSize < data.test.length ? { testSize } : {};
  const identity = { config, dataset: options.dataset, trainSize, testSize, backend: backend.name, tensorflowVersion: backend.tensorflowVersion, numerics: numericsVersion() };
  const done = options.out ? completedRuns(options.out) : new Map<string, RunRecord>();
  const checkpointRoot = options.checkpointDir ?? defaultCheckpointDir(options);
  const records: RunRecord[] = [];
  // With --json, stdout carries one JSON line per run and the table goes to stderr.
  const table = options.json ? process.stderr : process.stdout;
  printTableHeader(table);

  const controller = new AbortController();
  let stoppedBy: StopSignal = 'SIGINT';
  const removeStopHandlers = onStopSignal((signal) => {
    stoppedBy = signal;
    controller.abort(new Error('interrupted; completed runs are kept in --out and skipped, and the run in progress resumes from its checkpoint, when you run the same command again'));
  });
  try {
    for (let run = 0; run < options.runs; run++) {
      const seed = options.seed + run;
      const key = runKey({ ...identity, seed });
      const previous = done.get(key);
      if (previous) {
        records.push(previous);
        table.write(`run ${run}: seed ${seed} already in ${options.out}: tta_val_acc ${previous.ttaValAcc.toFixed(4)} (skipped)\n`);
        if (options.json) process.stdout.write(`${JSON.stringify({ status: 'skipped', reason: `already in ${options.out}`, ...withoutHistory(previous) })}\n`);
        continue;
      }
      const loader = airbenchLoader(data.train, config, seed, { subset: trainSize, ...stats });
      // One directory per run, named by its key: a checkpoint can only ever resume the run that wrote it.
      const checkpoints = new CheckpointDir(join(checkpointRoot, key.slice(0, 16)), (message) => process.stderr.write(`warning: ${message}\n`));
      const found = options.checkpointEvery ? await checkpoints.latest() : undefined;
      if (found) table.write(`run ${run}: resuming from ${found.file} (step ${found.state.step} of ${found.state.totalSteps}, epoch ${found.state.epoch})\n`);
      let checkpointSeconds = 0;
      const progress = new RunProgress(`run ${run}`, loader.length);
      const result = await train(config, { train: loader, whitening, test }, {
        seed,
        signal: controller.signal,
        ...(found ? { resumeFrom: found.state } : {}),
        ...(options.checkpointEvery
          ? {
              checkpoint: {
                ...('steps' in options.checkpointEvery ? { everySteps: options.checkpointEvery.steps } : { everyEpochs: options.checkpointEvery.epochs }),
                save: async (state: TrainingState) => void (checkpointSeconds += (await checkpoints.save(state)).seconds),
              },
            }
          : {}),
        onStep: (step) => progress.step(step),
        onEpoch: (epoch) => {
          progress.end();
          printTableRow(table, run, epoch, null);
        },
      });
      const evalStart = performance.now();
      table.write(`run ${run}: final evaluation (tta ${config.tta}) on ${test.size} test images\n`);
      const evaluation = await evaluate(result.model, test, { tta: config.tta, signal: controller.signal }).finally(() => {
        if (controller.signal.aborted) disposeModel(result.model);
      });
      const evalSeconds = (performance.now() - evalStart) / 1000;
      const last = result.history.at(-1)!;
      const { weights } = await serializeModel(result.model);
      const record: RunRecord = {
        runKey: key,
        variant: config.name,
        ...overrides,
        seed,
        epochs: config.epochs,
        trainSubset: options.trainSubset ?? null,
        trainSize,
        ...testKey,
        tta: config.tta,
        ttaValAcc: evaluation.accuracy,
        valAcc: last.valAcc ?? NaN,
        trainSeconds: result.seconds.whitening + result.seconds.training,
        evalSeconds,
        // airbench's time: whitening init + training + the final TTA evaluation.
        seconds: result.seconds.whitening + result.seconds.training + evalSeconds,
        ...(options.checkpointEvery ? { checkpointSeconds } : {}),
        ...(result.resumedFrom ? { resumedFrom: result.resumedFrom } : {}),
        weightsSha256: createHash('sha256').update(weights).digest('hex'),
        backend: backend.name,
        tensorflowVersion: backend.tensorflowVersion,
        history: result.history,
      };
      if (options.save) {
        const dir = join(options.save, `seed-${seed}`);
        await saveModel(result.model, dir).finally(() => disposeModel(result.model));
        table.write(`run ${run}: model saved to ${dir}\n`);
      } else {
        disposeModel(result.model);
      }
      records.push(record);
      if (options.out) appendRun(options.out, record);
      // Recorded: the checkpoints have done their job.
      if (!options.keepCheckpoints) await checkpoints.remove();
      if (options.json) process.stdout.write(`${JSON.stringify({ status: 'trained', ...withoutHistory(record) })}\n`);
      printTableRow(table, run, { ...last, seconds: record.seconds }, evaluation.accuracy);
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
    // Ctrl-C: the run in progress is not recorded; its checkpoints stay, the finished runs are in --out.
    process.stderr.write(`airbench: ${(controller.signal.reason as Error).message}\n`);
    return stopExitCode(stoppedBy);
  } finally {
    removeStopHandlers();
    whitening.dispose();
  }
  printSummary(table, records);
  const curves = records.filter((r) => r.history?.length);
  if (curves.length > 0) {
    const plot = options.plot ? options.plot.replace(/\.svg$/, '') : options.out ? options.out.replace(/\.jsonl?$/, '') : undefined;
    if (plot) {
      const written = await writeCurves(plot, `${config.name} on ${trainSize} CIFAR-10 images (${backend.name})`, curves);
      table.write(`per-epoch curves: ${written.svg}, ${written.png}\n`);
    }
  }
  if (tf.memory().numTensors !== 0) {
    process.stderr.write(`warning: ${tf.memory().numTensors} tensors still allocated at the end\n`);
  }
  return 0;
}

/**
 * `--precision auto`: airbench trains in reduced precision by default, and so does this where the CPU computes
 * bf16 natively (AMX or AVX512-BF16) on the native CPU backend; fp32 elsewhere. Says which and why.
 */
function resolvePrecision(choice: Options['precision'], backend: BackendInfo): Precision {
  const emulated = backend.choice === 'node' ? emulatedBf16Reason('node', backend.cpu) : null;
  if (choice === 'bf16' && emulated) process.stderr.write(`warning: --precision bf16: ${emulated}; --precision fp32 (or auto) trains at the fast speed\n`);
  if (choice !== 'auto') return choice;
  const native = backend.choice === 'node' && hasNativeBf16(backend.cpu);
  const why = native ? `the CPU computes bf16 natively (${backend.cpu})` : backend.choice === 'node' ? `the CPU (${backend.cpu}) has no native bf16` : `the ${backend.choice} backend`;
  process.stderr.write(`precision: ${native ? 'bf16' : 'fp32'} (auto: ${why}; --precision fp32 or bf16 to choose)\n`);
  return native ? 'bf16' : 'fp32';
}

/** Checkpoints live beside the run's output: --out's folder, else --save's, else the cache. */
function defaultCheckpointDir(options: Options): string {
  if (options.out) return join(dirname(options.out), 'checkpoints');
  if (options.save) return join(options.save, 'checkpoints');
  return join(defaultCacheDir(), 'checkpoints');
}

/** The --json line: the run's fields without the per-epoch history (kept in --out for the plot). */
function withoutHistory(record: RunRecord): Omit<RunRecord, 'history'> {
  const { history: _history, ...rest } = record;
  return rest;
}
