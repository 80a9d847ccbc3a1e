// One run of the variance study: the run function the harness calls with a
// run's seeds. It wires the packages as examples/airbench does:
//   cifar-data (data, loader with separate order and augmentation seeds)
//   → derand-flip (the alternating flip, seeded with the augmentation seed)
//   → airbench-net (init from the model seed, training, TTA predictions).
import * as tf from '@tensorflow/tfjs-core';
import { CifarLoader, loadCifar10, normalizeImages, type Cifar10 } from '@airbench-ts/cifar-data';
import { createFlipPolicy } from '@airbench-ts/derand-flip';
import { disposeModel, infer, makeConfig, train, type AirbenchConfig, type Precision } from '@airbench-ts/airbench-net';
import type { RunOutput, Seeds } from '@airbench-ts/run-variance';
import type { Preset } from './presets';

export interface RunSetting extends Preset {
  backend: string;
  /** The training images' flip: airbench's alternating (the default), random, or none (examples/flip-ablation). */
  flip?: 'none' | 'random' | 'alternating';
  /** Arithmetic of the convolutions (default fp32). */
  precision?: Precision;
}

let data: Promise<Pick<Cifar10, 'train' | 'test'>> | undefined;
let whitening: tf.Tensor4D | undefined;

/** The images a setting uses, and only those: a worker keeps no more than it trains and evaluates on. */
async function load(setting: Preset): Promise<Pick<Cifar10, 'train' | 'test'>> {
  const { train, test } = await loadCifar10({ progress: false });
  const keep = (split: Cifar10['train'], count: number) => ({ images: split.images.slice(0, count * 3072), labels: split.labels.slice(0, count), length: count });
  return { train: keep(train, setting.trainSubset), test: keep(test, setting.testSubset) };
}

/** The airbench config of a setting. */
export function configOf(setting: Preset & { precision?: Precision }): AirbenchConfig {
  return makeConfig('airbench94', {
    ...(setting.precision ? { precision: setting.precision } : {}),
    widths: setting.widths,
    batchSize: setting.batchSize,
    epochs: setting.epochs,
    tta: setting.tta,
    whiteningImages: Math.min(5000, setting.trainSubset),
  });
}

/** Trains one network with the run's seeds and returns its predicted class for every test image. */
export async function runOne(setting: RunSetting, seeds: Seeds, signal?: AbortSignal): Promise<RunOutput> {
  data ??= load(setting);
  const { train: images, test } = await data;
  const config = configOf(setting);
  whitening ??= normalizeImages(images, { count: config.whiteningImages });
  const started = performance.now(); // training and evaluation; the data is loaded once per worker
  const [model, order, aug] = [seeds.model ?? 0, seeds.order ?? 0, seeds.aug ?? 0];
  const flip = setting.flip ?? 'alternating';
  const loader = new CifarLoader(images, {
    batchSize: config.batchSize,
    shuffle: true,
    dropLast: true,
    translate: config.augmentation.translate,
    ...(flip === 'none' ? {} : { flip: createFlipPolicy({ seed: aug, mode: flip }) }),
    orderSeed: order,
    augmentSeed: aug,
  });
  const result = await train(config, { train: loader, whitening }, { seed: model, ...(signal ? { signal } : {}) });
  try {
    const predictions = await predictClasses(test, (inputs) => infer(result.model, inputs, { tta: config.tta }), signal);
    const seconds = (performance.now() - started) / 1000;
    return { predictions, seconds, backend: setting.backend, extra: { trainSeconds: result.seconds.whitening + result.seconds.training, lastLoss: result.history.at(-1)?.trainLoss } };
  } finally {
    disposeModel(result.model);
  }
}

/** The predicted class of every test image, in batches of 500: what a run returns to the harness. */
export async function predictClasses(test: Pick<Cifar10, 'test'>['test'], logitsOf: (inputs: tf.Tensor4D) => tf.Tensor, signal?: AbortSignal): Promise<Uint8Array> {
  const predictions = new Uint8Array(test.length);
  for (const batch of new CifarLoader(test, { batchSize: 500 })) {
    const classes = tf.tidy(() => tf.argMax(logitsOf(batch.inputs), 1));
    predictions.set(await classes.data(), batch.indices[0]!);
    tf.dispose([classes, batch.inputs, batch.labels]);
    signal?.throwIfAborted();
  }
  return predictions;
}
