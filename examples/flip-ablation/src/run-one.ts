// One run of the ablation: the run function the harness calls with a run's key
// (epochs, flip, seed). It wires the packages as the other examples do:
//   airbench94: cifar-data → derand-flip (none / random / alternating) →
//               airbench-net, through the harness workspace's runAirbench;
//   vgg11:      the models workspace's VGG11 and its SGD recipe (no airbench in it),
//               its training flip set by the same derand-flip modes.
import * as tf from '@tensorflow/tfjs-core';
import { loadCifar10, type ImageSplit } from '@airbench-ts/cifar-data';
import type { RunContext, RunOutput, Seeds } from '@airbench-ts/run-variance';
import { predictClasses } from '@airbench-ts-example/harness';
import { runAirbench } from '@airbench-ts-example/harness/run-airbench';
import { trainEndpoint, vgg11 } from '@airbench-ts-example/models';
import { epochsOf, modeOf, type AblationConfig } from './experiment';

export async function runOne(config: AblationConfig, seeds: Seeds, backend: string, context: Pick<RunContext, 'signal' | 'checkpoint'>): Promise<RunOutput> {
  const epochs = epochsOf(seeds);
  const flip = modeOf(seeds);
  const seed = seeds.seed!;
  // airbench94 checkpoints every epoch through the store; VGG11's runs are minutes long and start over.
  if (config.net !== 'vgg11') return runAirbench({ ...config, variant: config.net, epochs, flip, backend }, { model: seed, order: seed, aug: seed }, context);
  return runVgg(config, epochs, flip, seed, backend, context.signal);
}

let data: Promise<{ train: ImageSplit; test: ImageSplit }> | undefined;

async function runVgg(config: Extract<AblationConfig, { net: 'vgg11' }>, epochs: number, flip: ReturnType<typeof modeOf>, seed: number, backend: string, signal?: AbortSignal): Promise<RunOutput> {
  data ??= loadCifar10({ progress: false, subset: { train: config.trainSubset, test: config.testSubset } });
  const { train, test } = await data;
  const model = vgg11({ width: config.vggWidth, epochs });
  const started = performance.now();
  // VGG11 has no BatchNorm, so there are no statistics to reset: no passes are needed.
  const weights = await trainEndpoint(model, seed, train, () => [], () => signal?.throwIfAborted(), flip);
  try {
    const predictions = await predictClasses(test, (inputs) => model.forward(weights, inputs, { normalization: 'running' }), signal);
    return { predictions, seconds: (performance.now() - started) / 1000, backend };
  } finally {
    tf.dispose(Object.values(weights));
  }
}
