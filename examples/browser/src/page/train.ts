// Section 2: a narrow airbench94 trained in the tab, wired as examples/airbench
// wires it in Node (the harness workspace's airbenchLoader: cifar-data's loader
// with derand-flip's alternating flip), airbench-net's train with a signal for
// the stop button.
import * as tf from '@tensorflow/tfjs-core';
import { CifarLoader, normalizeImages, type ImageSplit } from '@airbench-ts/cifar-data';
import { airbenchLoader } from '@airbench-ts-example/harness';
import { EVAL_BATCH } from './backend';
import { disposeModel, makeConfig, train, type EpochRecord } from '@airbench-ts/airbench-net';

export interface TabTraining {
  /** airbench94's three group widths (the paper's 64, 256, 256 are too slow for a tab). */
  widths: [number, number, number];
  /** The first N training images. */
  images: number;
  epochs: number;
  batchSize: number;
  seed: number;
}

export interface TabEpoch extends EpochRecord {
  /** Training images per second of training time so far (whitening included, evaluation not). */
  imagesPerSecond: number;
}

export interface TabResult {
  history: TabEpoch[];
  /** Tensors allocated before the run and after it (the model disposed): equal when nothing leaked. */
  tensorsBefore: number;
  tensorsAfter: number;
}

/** Trains, reports each epoch, frees everything; rejects with the signal's reason when stopped. */
export async function trainInTab(data: { train: ImageSplit; test: ImageSplit }, settings: TabTraining, onEpoch: (epoch: TabEpoch) => void, signal: AbortSignal): Promise<TabResult> {
  const tensorsBefore = tf.memory().numTensors;
  const images = Math.min(settings.images, data.train.length);
  const config = makeConfig('airbench94', { widths: settings.widths, epochs: settings.epochs, batchSize: settings.batchSize, tta: 0, whiteningImages: Math.min(5000, images) });
  const loader = airbenchLoader(data.train, config, settings.seed, { subset: images });
  const test = new CifarLoader(data.test, { batchSize: EVAL_BATCH });
  const whitening = normalizeImages(data.train, { count: config.whiteningImages });
  const history: TabEpoch[] = [];
  try {
    const result = await train(config, { train: loader, whitening, test }, {
      seed: settings.seed,
      signal,
      onEpoch: (record) => {
        const epoch = { ...record, imagesPerSecond: (record.steps * config.batchSize) / record.seconds };
        history.push(epoch);
        onEpoch(epoch);
      },
    });
    disposeModel(result.model);
  } finally {
    whitening.dispose();
  }
  return { history, tensorsBefore, tensorsAfter: tf.memory().numTensors };
}
