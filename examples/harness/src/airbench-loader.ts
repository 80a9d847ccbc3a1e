// The wiring every example does for an airbench training, in one place:
//   cifar-data's loader (the config's batch size, translate and cutout, a new
//   order each epoch, drop_last) → derand-flip's flip policy, seeded with the
//   augmentation seed (or no flip when the config says 'none') → airbench-net's
//   train. Browser-safe: the in-tab training uses it too.
import { CifarLoader, type ImageSplit, type LoaderOptions } from '@airbench-ts/cifar-data';
import { createFlipPolicy } from '@airbench-ts/derand-flip';
import type { AirbenchConfig } from '@airbench-ts/airbench-net';

/** The two seeds of the data stream: the order of the images, and their augmentation (translate, cutout, flip). */
export interface DataSeeds {
  order: number;
  aug: number;
}

/**
 * The training loader of `config`. `seeds` is one number (order and augmentation
 * both, as airbench's reference seeds them) or the two apart (the variance
 * study varies them one at a time). `extra` passes the loader's subset and
 * normalisation through.
 */
export function airbenchLoader(
  images: ImageSplit,
  config: Pick<AirbenchConfig, 'batchSize' | 'augmentation'>,
  seeds: number | DataSeeds,
  extra: Pick<LoaderOptions, 'subset' | 'mean' | 'std'> = {},
): CifarLoader {
  const { order, aug } = typeof seeds === 'number' ? { order: seeds, aug: seeds } : seeds;
  const { flip, translate, cutout } = config.augmentation;
  return new CifarLoader(images, {
    batchSize: config.batchSize,
    shuffle: true,
    dropLast: true,
    translate,
    cutout,
    ...(flip === 'none' ? {} : { flip: createFlipPolicy({ seed: aug, mode: flip }) }),
    orderSeed: order,
    augmentSeed: aug,
    ...extra,
  });
}
