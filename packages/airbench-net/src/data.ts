import type { Tensor1D, Tensor4D } from '@tensorflow/tfjs-core';

/**
 * What training and evaluation read: an iterable of batches, one epoch per
 * iteration, and how many batches an epoch has. `@airbench-ts/cifar-data`'s
 * `CifarLoader` is one; any object of this shape works. The consumer disposes
 * each batch's tensors.
 */
export interface BatchSource {
  [Symbol.iterator](): Iterator<{ inputs: Tensor4D; labels: Tensor1D }>;
  /** Batches per epoch. */
  readonly length: number;
}

export interface TrainData {
  /** Augmented training batches (normalised NHWC). */
  train: BatchSource;
  /** Normalised, un-augmented training images for the whitening statistics (airbench: the first 5,000). Owned by the caller. */
  whitening: Tensor4D;
  /** Test batches for the per-epoch accuracy (not timed). Optional. */
  test?: BatchSource;
}
