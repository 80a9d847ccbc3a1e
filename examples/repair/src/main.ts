// Paper 3, REPAIR: two endpoints trained with different seeds, B aligned to A
// (@airbench-ts/neuron-align), interpolated and repaired (@airbench-ts/repair),
// on models wired from cifar-data, derand-flip and airbench-net.
//
//   npm run repair -- --help
import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend } from '@airbench-ts-example/backend';
import { onStopSignal, stopExitCode, type StopSignal } from '@airbench-ts-example/cli';
import { validateSpec } from '@airbench-ts/neuron-align';
import { endpointCheckpoint, endpointKey, loadEndpoint, lockEndpoint, saveEndpoint } from './cache';
import { loadData, statisticsPasses } from './data';
import { airbench94, mlp, resnet20, trainEndpoint, vgg11, type ExampleModel } from '@airbench-ts-example/models';
import { parseOptions, type Options } from './options';
import { progressReporter } from './progress';
import { jsonLines, table, writeResults } from './report';
import { study, type StudyResult } from './study';
import { writeSummary } from './summary';

export function buildModel(options: Pick<Options, 'model' | 'norm' | 'width' | 'depth' | 'epochs'>): ExampleModel {
  const { width, epochs, norm } = options;
  switch (options.model) {
    case 'mlp':
      return mlp({ width, depth: options.depth, epochs });
    case 'vgg11':
      return vgg11({ width, epochs });
    case 'resnet20':
      return resnet20({ width, epochs, norm: norm as 'batch' | 'layer' });
    case 'airbench94':
      return airbench94({ width, epochs, norm });
  }
}

/** Why an endpoint's training stopped: a signal (its state was saved first). */
class Stopped extends Error {
  constructor(readonly signal: StopSignal) {
    super(`stopped by ${signal}`);
  }
}

export async function main(argv: string[]): Promise<number> {
  const parsed = parseOptions(argv);
  if ('exit' in parsed) return parsed.exit;
  const options = parsed;
  const backend = await selectBackend({ ...(options.backend ? { backend: options.backend } : {}), ...(options.json ? { log: () => {} } : {}) });
  const model = buildModel(options);
  const progress = progressReporter(options.json);
  const data = await loadData(options.trainSubset, options.testSubset, !options.json);
  const passes = statisticsPasses(data.train, options.statImages, 250);
  const started = performance.now();

  // Endpoints: trained once per setting and seed, then reused from --out.
  // `version` changes whenever the code that trains an endpoint does (init, loop), so stale endpoints are not reused.
  const settings = { version: 4, model: options.model, norm: options.norm, width: options.width, depth: options.model === 'mlp' ? options.depth : undefined, epochs: options.epochs, trainSubset: data.train.length, training: model.training.kind === 'recipe' ? model.training.recipe : model.training.describe };
  const dir = join(options.out, 'endpoints');
  const endpoints: Record<string, tf.Tensor>[] = [];
  for (const [k, seed] of [options.seed, options.seed + 1].entries()) {
    const name = `${options.model}-${endpointKey(settings)}-seed${seed}`;
    let weights = loadEndpoint(dir, name);
    if (weights) {
      process.stderr.write(`repair: endpoint ${'AB'[k]} (seed ${seed}) from ${join(dir, name)}.bin\n`);
    } else {
      // One command trains an endpoint at a time (pairs from --seed 0 and --seed 1 share seed 1's).
      const release = lockEndpoint(dir, name);
      try {
        weights = loadEndpoint(dir, name); // saved by a command that held the lock until now
        if (!weights) {
          // The training keeps its state in <name>.ckpt every 50 steps, and after the step in progress on Ctrl-C or
          // a kill (SIGTERM): a stopped command resumes it when run again. A second Ctrl-C stops at once.
          const stop = new AbortController();
          const removeStopHandlers = onStopSignal((signal) => stop.abort(new Stopped(signal)));
          const checkpoint = { ...endpointCheckpoint(dir, name, endpointKey({ ...settings, seed })), signal: stop.signal };
          try {
            weights = await trainEndpoint(model, seed, data.train, passes, (step, total) => progress.update(`train ${'AB'[k]} (seed ${seed})`, step, total), 'random', checkpoint);
          } catch (error) {
            if (!(error instanceof Stopped)) throw error;
            progress.stop();
            process.stderr.write(`repair: stopped (${error.signal}); endpoint ${'AB'[k]}'s training is saved in ${join(dir, name)}.ckpt: the same command resumes it.\n`);
            return stopExitCode(error.signal);
          } finally {
            removeStopHandlers();
          }
          progress.stop();
          await saveEndpoint(dir, name, { ...settings, seed }, weights);
          checkpoint.remove();
        }
      } finally {
        release();
      }
    }
    endpoints.push(weights);
  }
  const shapes = Object.fromEntries(Object.entries(endpoints[0]!).map(([n, t]) => [n, t.shape]));
  validateSpec(model.spec, shapes);

  const alphas = Array.from({ length: options.alphas }, (_, i) => i / (options.alphas - 1));
  mkdirSync(options.out, { recursive: true });
  // One study per alignment on the same endpoints (scored once), each with its own results and plots.
  let scores: StudyResult['endpoints'] | undefined;
  const files: string[] = [];
  for (const align of options.align) {
    const studyStarted = performance.now();
    const result = await study(model, endpoints[0]!, endpoints[1]!, { align, alphas, passes, test: data.test, onProgress: progress.update, ...(scores ? { endpoints: scores } : {}) });
    progress.stop();
    scores = result.endpoints;
    const name = `${options.model}-${options.norm}-w${options.width}${options.model === 'mlp' ? `-d${options.depth}` : ''}-e${options.epochs}-${align}-seed${options.seed}`;
    files.push(...(await writeResults(options.out, name, model.label, { ...settings, align, alphas, statImages: options.statImages, seed: options.seed, backend: backend.name, seconds: (performance.now() - started) / 1000, studySeconds: (performance.now() - studyStarted) / 1000 }, result)));
    if (options.json) for (const line of jsonLines(model.label, align, result)) process.stdout.write(`${line}\n`);
    else process.stdout.write(`${table(`${model.label} (${align})`, result)}\n`);
  }
  tf.dispose(endpoints.flatMap((w) => Object.values(w)));
  // Every run of --out so far, grouped by setting: with several --seed values, the spread over the pairs.
  files.push(...writeSummary(options.out));
  if (!options.json) process.stdout.write(`wrote ${files.join(', ')}\n`);
  return 0;
}
