import * as tf from '@tensorflow/tfjs-core';
import { CifarLoader, loadCifar10, normalizeImages, type Cifar10, type LoaderOptions } from '@airbench-ts/cifar-data';
import { createFlipPolicy } from '@airbench-ts/derand-flip';

// The tests train on real CIFAR-10, found the way a user's code finds it
// (@airbench-ts/cifar-data: $CIFAR10_DIR, the cache, or a fetch; the run's data
// setup has already made sure it is there). airbench-net itself imports neither
// package: they are dev dependencies, wired here as the examples wire them.
let data: Cifar10 | undefined;

export async function cifar10(): Promise<Cifar10> {
  data ??= await loadCifar10({ progress: false });
  return data;
}

/** airbench's training loader over the first `count` images: shuffled, drop_last, translate 2, alternating flip. */
export function trainLoader(set: Cifar10, count: number, batchSize: number, options: Partial<LoaderOptions> = {}): CifarLoader {
  return new CifarLoader(set.train, {
    batchSize,
    subset: count,
    shuffle: true,
    dropLast: true,
    translate: 2,
    flip: createFlipPolicy({ seed: 0, mode: 'alternating' }),
    ...options,
  });
}

/** The first `count` test images, un-augmented, in batches. */
export function testLoader(set: Cifar10, count: number, batchSize = 500): CifarLoader {
  return new CifarLoader(set.test, { batchSize, subset: count });
}

/** The first `count` training images, normalised, for the whitening statistics. */
export function whiteningImages(set: Cifar10, count: number): tf.Tensor4D {
  return normalizeImages(set.train, { count });
}
