import { tensor4d, type Tensor4D } from '@tensorflow/tfjs-core';
import type { ImageSplit } from './binary-format';
import { IMAGE_BYTES, IMAGE_CHANNELS, IMAGE_HEIGHT, IMAGE_WIDTH } from './datasets';
import { InvalidArgumentError } from './errors';

/** Per-channel statistics of the CIFAR-10 training set, for normalisation (airbench's values). */
export const CIFAR10_MEAN = Object.freeze([0.4914, 0.4822, 0.4465] as const);
export const CIFAR10_STD = Object.freeze([0.247, 0.2435, 0.2616] as const);
/** Per-channel statistics of the CIFAR-100 training set. */
export const CIFAR100_MEAN = Object.freeze([0.5071, 0.4865, 0.4409] as const);
export const CIFAR100_STD = Object.freeze([0.2673, 0.2564, 0.2762] as const);

export interface NormalizeOptions {
  /** Take the first `count` images. Default: all. */
  count?: number;
  /** Per-channel mean and std of pixel values in [0, 1]. Default: CIFAR-10's. */
  mean?: readonly number[];
  std?: readonly number[];
}

/**
 * The first `count` images of a split, normalised and un-augmented, as one
 * [count, 32, 32, 3] float32 tensor: what airbench's whitening init and a quick
 * evaluation read. The caller owns the tensor.
 *
 * ```ts
 * const whitening = normalizeImages(train, { count: 5000 });
 * ```
 */
export function normalizeImages(split: ImageSplit, options: NormalizeOptions = {}): Tensor4D {
  const count = options.count ?? split.length;
  if (!Number.isSafeInteger(count) || count < 1 || count > split.length) {
    throw new InvalidArgumentError('count', `normalizeImages: 'count' must be an integer in [1, ${split.length}], but got ${String(options.count)}.`);
  }
  const lookup = normalisationTable(options.mean ?? CIFAR10_MEAN, options.std ?? CIFAR10_STD, 'normalizeImages');
  const pixels = new Float32Array(count * IMAGE_BYTES);
  for (let i = 0; i < pixels.length; i++) pixels[i] = lookup[(i % IMAGE_CHANNELS) * 256 + (split.images[i] as number)] as number;
  return tensor4d(pixels, [count, IMAGE_HEIGHT, IMAGE_WIDTH, IMAGE_CHANNELS], 'float32');
}

/** (v / 255 - mean[c]) / std[c] for every byte value v and channel c, at [c·256 + v]: one lookup per pixel. */
export function normalisationTable(mean: readonly number[], std: readonly number[], caller: string): Float32Array {
  if (mean.length !== IMAGE_CHANNELS || std.length !== IMAGE_CHANNELS || std.some((s) => !(s > 0))) {
    throw new InvalidArgumentError('std', `${caller}: 'mean' and 'std' need ${IMAGE_CHANNELS} entries each, std > 0; got mean [${mean.join(', ')}], std [${std.join(', ')}].`);
  }
  const table = new Float32Array(256 * IMAGE_CHANNELS);
  for (let c = 0; c < IMAGE_CHANNELS; c++) {
    for (let v = 0; v < 256; v++) table[c * 256 + v] = (v / 255 - (mean[c] as number)) / (std[c] as number);
  }
  return table;
}
