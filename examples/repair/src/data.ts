import type * as tf from '@tensorflow/tfjs-core';
import { CifarLoader, loadCifar10, type ImageSplit } from '@airbench-ts/cifar-data';
import { createFlipPolicy } from '@airbench-ts/derand-flip';

// The data of a run: CIFAR-10's training images (or the first N), the test set,
// and the passes of training batches the statistics are measured on.

export interface Data {
  train: ImageSplit;
  test: ImageSplit;
}

export async function loadData(trainSubset: number | undefined, testSubset: number | undefined, progress: boolean): Promise<Data> {
  const subset = { ...(trainSubset !== undefined ? { train: trainSubset } : {}), ...(testSubset !== undefined ? { test: testSubset } : {}) };
  const { train, test } = await loadCifar10({ progress, subset });
  return { train, test };
}

/**
 * A pass of augmented training images (flip + translate 4, docs/papers.md §3.2: the
 * augmented loader), the first `count` of a fixed shuffle: every call yields the
 * same batches, so A, B and the interpolated networks are measured on the same
 * inputs. The consumer disposes each batch.
 */
export function statisticsPasses(train: ImageSplit, count: number, batchSize = 500): () => Iterable<tf.Tensor4D> {
  const loader = new CifarLoader(train, { batchSize, shuffle: true, translate: 4, flip: createFlipPolicy({ seed: 12345, mode: 'random' }), seed: 12345 });
  const batches = Math.ceil(Math.min(count, train.length) / batchSize);
  return function* () {
    let k = 0;
    for (const { inputs, labels } of loader.batches(0)) {
      labels.dispose();
      if (k++ >= batches) {
        inputs.dispose();
        break;
      }
      yield inputs;
    }
  };
}

/** The test set in batches of `batchSize`, normalised, not augmented. */
export function testBatches(test: ImageSplit, batchSize = 1000): CifarLoader {
  return new CifarLoader(test, { batchSize });
}
