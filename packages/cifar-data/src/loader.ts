import { tensor1d, tensor4d, type Tensor1D, type Tensor4D } from '@tensorflow/tfjs-core';
import type { ImageSplit } from './binary-format';
import { IMAGE_BYTES, IMAGE_CHANNELS, IMAGE_HEIGHT, IMAGE_WIDTH } from './datasets';
import { InvalidArgumentError } from './errors';
import { CIFAR10_MEAN, CIFAR10_STD, normalisationTable } from './normalize';
import { epochGenerator, imageGenerator, shuffleInPlace, uniformInt } from './random';

/**
 * Whether to mirror image `index` (its position in the dataset) in `epoch`. Any
 * function of this shape plugs in, e.g. `createFlipPolicy` of
 * `@airbench-ts/derand-flip`, or `() => Math.random() < 0.5`.
 */
export type FlipPolicy = (index: number, epoch: number) => boolean;

export interface LoaderOptions {
  /** Images per batch. */
  batchSize: number;
  /** A fresh random order every epoch. Default false (dataset order). */
  shuffle?: boolean;
  /** Drop the last, smaller batch. Default false. */
  dropLast?: boolean;
  /** Random translation by up to this many pixels each way, with reflect padding. Default 0 (off). */
  translate?: number;
  /** Mirror left-right where this returns true. Default: never. */
  flip?: FlipPolicy;
  /** Side in pixels of a square set to 0 (the mean colour after normalising) at a random place. Default 0 (off). */
  cutout?: number;
  /** Use only these images: the first N, or a mask with one truthy/falsy entry per image. Default: all. */
  subset?: number | ArrayLike<number | boolean>;
  /** The default of `orderSeed` and `augmentSeed`. Default 0. */
  seed?: number;
  /** Seeds the order of each epoch (and so which images drop_last drops). Default: `seed`. */
  orderSeed?: number;
  /**
   * Seeds translation and cutout. The draws for image i in epoch e depend only on
   * (augmentSeed, e, i), never on where i lands in the order, so order and
   * augmentation are independent sources of randomness (docs/papers.md §2.6). Default: `seed`.
   */
  augmentSeed?: number;
  /** Per-channel mean and std of pixel values in [0, 1]. Default: CIFAR-10's. */
  mean?: readonly number[];
  std?: readonly number[];
}

/** One batch. The tensors belong to the caller, who disposes them. */
export interface Batch {
  /** [batch, 32, 32, 3] float32, normalised and augmented. */
  inputs: Tensor4D;
  /** [batch] int32 class labels. */
  labels: Tensor1D;
  /** Dataset position of each image in the batch. */
  indices: Int32Array;
}

/**
 * Batches of normalised, augmented CIFAR images as tfjs tensors, with airbench's
 * semantics (docs/papers.md §1.1): reflect-padded random translation, a flip decided by a
 * policy, cutout, a new order each epoch, drop_last, and a subset chosen up front.
 * Iterating the loader runs its next epoch; `batches(epoch)` runs any epoch again,
 * identically, for the same seed.
 *
 * ```ts
 * const loader = new CifarLoader(train, { batchSize: 1024, shuffle: true, dropLast: true, translate: 2, flip });
 * for (const { inputs, labels } of loader) { ...; inputs.dispose(); labels.dispose(); }
 * ```
 */
export class CifarLoader implements Iterable<Batch> {
  readonly batchSize: number;
  /** Dataset positions of the images the loader uses, in dataset order. */
  readonly indices: Int32Array;
  /** The epoch the next iteration runs. Set it to resume a run. */
  epoch = 0;

  private readonly options: Required<Omit<LoaderOptions, 'flip' | 'subset' | 'mean' | 'std' | 'seed'>> & { flip?: FlipPolicy };
  private readonly lookup: Float32Array;

  constructor(
    private readonly data: ImageSplit,
    options: LoaderOptions,
  ) {
    checkData(data);
    const { batchSize, translate = 0, cutout = 0, seed = 0 } = options;
    const { orderSeed = seed, augmentSeed = seed } = options;
    checkInteger('batchSize', batchSize, 1, Number.MAX_SAFE_INTEGER);
    checkInteger('translate', translate, 0, IMAGE_WIDTH - 1);
    checkInteger('cutout', cutout, 0, IMAGE_WIDTH);
    checkInteger('seed', seed, 0, 2 ** 32 - 1);
    checkInteger('orderSeed', orderSeed, 0, 2 ** 32 - 1);
    checkInteger('augmentSeed', augmentSeed, 0, 2 ** 32 - 1);
    if (options.flip !== undefined && typeof options.flip !== 'function') {
      throw new InvalidArgumentError('flip', `CifarLoader: 'flip' must be a function (index, epoch) => boolean, but got ${typeof options.flip}.`);
    }
    this.batchSize = batchSize;
    this.indices = selectSubset(data.length, options.subset);
    this.options = {
      batchSize,
      translate,
      cutout,
      orderSeed,
      augmentSeed,
      shuffle: options.shuffle ?? false,
      dropLast: options.dropLast ?? false,
      ...(options.flip ? { flip: options.flip } : {}),
    };
    this.lookup = normalisationTable(options.mean ?? CIFAR10_MEAN, options.std ?? CIFAR10_STD, 'CifarLoader');
  }

  /** Whether the last, smaller batch of an epoch is dropped. */
  get dropLast(): boolean {
    return this.options.dropLast;
  }

  /** Number of images used per epoch, before drop_last. */
  get size(): number {
    return this.indices.length;
  }

  /** Batches per epoch. */
  get length(): number {
    const whole = Math.floor(this.size / this.batchSize);
    return this.options.dropLast || this.size % this.batchSize === 0 ? whole : whole + 1;
  }

  [Symbol.iterator](): Iterator<Batch> {
    return this.batches(this.epoch++);
  }

  /** The batches of `epoch`, built lazily: stopping early creates no further tensors. */
  *batches(epoch: number): Generator<Batch, void, undefined> {
    checkInteger('epoch', epoch, 0, Number.MAX_SAFE_INTEGER);
    const { batchSize, shuffle, translate, cutout, orderSeed, augmentSeed, flip } = this.options;
    const order = Int32Array.from(this.indices);
    if (shuffle) shuffleInPlace(order, epochGenerator(orderSeed, epoch));

    for (let b = 0; b < this.length; b++) {
      const indices = order.slice(b * batchSize, Math.min((b + 1) * batchSize, order.length));
      const pixels = new Float32Array(indices.length * IMAGE_BYTES);
      const labels = new Int32Array(indices.length);
      for (let k = 0; k < indices.length; k++) {
        const index = indices[k] as number;
        // Draws per image: translation, then cutout, from the image's own stream.
        const generator = translate || cutout ? imageGenerator(augmentSeed, epoch, index) : undefined;
        const dy = translate ? uniformInt(generator!, -translate, translate) : 0;
        const dx = translate ? uniformInt(generator!, -translate, translate) : 0;
        const mirrored = flip ? flip(index, epoch) : false;
        this.writeImage(pixels, k * IMAGE_BYTES, index, dy, dx, mirrored);
        if (cutout) {
          const y0 = uniformInt(generator!, 0, IMAGE_HEIGHT - cutout);
          const x0 = uniformInt(generator!, 0, IMAGE_WIDTH - cutout);
          eraseSquare(pixels, k * IMAGE_BYTES, y0, x0, cutout);
        }
        labels[k] = this.data.labels[index] as number;
      }
      yield {
        inputs: tensor4d(pixels, [indices.length, IMAGE_HEIGHT, IMAGE_WIDTH, IMAGE_CHANNELS], 'float32'),
        labels: tensor1d(labels, 'int32'),
        indices,
      };
    }
  }

  /**
   * Writes image `index`, normalised, shifted by (dy, dx) and maybe mirrored, at
   * `out[offset]`. Shifting reads the reflect-padded image (PyTorch 'reflect': the
   * mirror excludes the edge pixel) without building it: padded row y+dy of a
   * 32-row image is row reflect(y+dy). Mirroring after the crop equals cropping the
   * mirrored image at -dx, so the result has airbench's distribution.
   */
  private writeImage(out: Float32Array, offset: number, index: number, dy: number, dx: number, mirrored: boolean): void {
    const source = this.data.images;
    const lookup = this.lookup;
    const base = index * IMAGE_BYTES;
    let o = offset;
    for (let y = 0; y < IMAGE_HEIGHT; y++) {
      const row = base + reflect(y + dy, IMAGE_HEIGHT) * IMAGE_WIDTH * IMAGE_CHANNELS;
      for (let x = 0; x < IMAGE_WIDTH; x++) {
        const s = row + reflect((mirrored ? IMAGE_WIDTH - 1 - x : x) + dx, IMAGE_WIDTH) * IMAGE_CHANNELS;
        out[o++] = lookup[source[s] as number] as number;
        out[o++] = lookup[256 + (source[s + 1] as number)] as number;
        out[o++] = lookup[512 + (source[s + 2] as number)] as number;
      }
    }
  }
}

function reflect(k: number, size: number): number {
  return k < 0 ? -k : k >= size ? 2 * (size - 1) - k : k;
}

function eraseSquare(out: Float32Array, offset: number, y0: number, x0: number, side: number): void {
  for (let y = y0; y < y0 + side; y++) {
    const start = offset + (y * IMAGE_WIDTH + x0) * IMAGE_CHANNELS;
    out.fill(0, start, start + side * IMAGE_CHANNELS);
  }
}

function selectSubset(length: number, subset: LoaderOptions['subset']): Int32Array {
  if (subset === undefined) return Int32Array.from({ length }, (_, i) => i);
  if (typeof subset === 'number') {
    checkInteger('subset', subset, 1, length);
    return Int32Array.from({ length: subset }, (_, i) => i);
  }
  if (subset.length !== length) {
    throw new InvalidArgumentError('subset', `CifarLoader: a 'subset' mask needs one entry per image (${length}), but has ${subset.length}.`);
  }
  const chosen: number[] = [];
  for (let i = 0; i < length; i++) if (subset[i]) chosen.push(i);
  if (chosen.length === 0) throw new InvalidArgumentError('subset', `CifarLoader: the 'subset' mask selects no image.`);
  return Int32Array.from(chosen);
}

function checkData(data: ImageSplit): void {
  const ok =
    data !== null &&
    typeof data === 'object' &&
    data.images instanceof Uint8Array &&
    data.labels instanceof Uint8Array &&
    Number.isSafeInteger(data.length) &&
    data.images.length === data.length * IMAGE_BYTES &&
    data.labels.length === data.length;
  if (!ok) {
    throw new InvalidArgumentError(
      'data',
      `CifarLoader: 'data' must be { images: Uint8Array of length×${IMAGE_BYTES} (NHWC), labels: Uint8Array of length, length }, as loadCifar10 returns.`,
    );
  }
}

function checkInteger(argument: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(argument, `CifarLoader: '${argument}' must be an integer in [${min}, ${max}], but got ${String(value)}.`);
  }
}
