import type { Tensor1D, Tensor4D } from '@tensorflow/tfjs-core';

/** One batch: normalised NHWC images and int labels. The consumer disposes both. */
export interface LabeledBatch {
  inputs: Tensor4D;
  labels: Tensor1D;
}

/**
 * What evaluation reads: an iterable of batches (one pass over the data per
 * iteration) and how many batches that is. `@airbench-ts/cifar-data`'s
 * `CifarLoader` is one; any object of this shape works.
 */
export interface BatchSource {
  [Symbol.iterator](): Iterator<LabeledBatch>;
  /** Batches per epoch. */
  readonly length: number;
}

/**
 * What training reads: the batches of any epoch on demand, and how they were
 * cut. `train` asks for epochs 0, 1, 2, … itself (so a loader that was iterated
 * before still starts at epoch 0, and an epoch-dependent flip stays in phase),
 * and checks `batchSize` and `dropLast` against the config, because the number
 * of steps and the weight decay per image depend on them. `CifarLoader` is one.
 */
export interface EpochSource {
  /** Images per batch; must equal the config's `batchSize`. */
  readonly batchSize: number;
  /** Whether a last, smaller batch is dropped; training requires true (airbench's drop_last). */
  readonly dropLast: boolean;
  /** Batches per epoch. */
  readonly length: number;
  batches(epoch: number): Iterable<LabeledBatch>;
}

export interface TrainData {
  /** Augmented training batches (normalised NHWC). */
  train: EpochSource;
  /**
   * Normalised, un-augmented training images for the whitening statistics: at
   * least `config.whiteningImages` (airbench: the first 5,000); the first that
   * many are used. Owned by the caller.
   */
  whitening: Tensor4D;
  /** Test batches for the per-epoch accuracy (not timed). Optional. */
  test?: BatchSource;
}
