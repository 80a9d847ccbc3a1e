import { checkCount } from './coin';
import { InvalidArgumentError } from './errors';

export type ImageLayout = 'NHWC' | 'NCHW';

/** Any typed array of pixel values: uint8 images, normalised float images, ... */
export type PixelArray =
  | Uint8Array
  | Uint8ClampedArray
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array;

/**
 * Mirrors left-right, in place, every image of a batch whose mask entry is truthy.
 * Returns `data` for chaining.
 *
 * ```ts
 * const images = new Uint8Array(n * 32 * 32 * 3); // NHWC
 * flipImagesInPlace(images, [n, 32, 32, 3], flipMask(n, epoch, { seed }));
 * ```
 * @param shape `[count, height, width, channels]` for NHWC (the default), or
 *   `[count, channels, height, width]` with `{ layout: 'NCHW' }`.
 * @param mask One entry per image: 1/true mirrors it, 0/false leaves it.
 */
export function flipImagesInPlace<T extends PixelArray>(
  data: T,
  shape: readonly [number, number, number, number],
  mask: ArrayLike<number | boolean>,
  options: { layout?: ImageLayout } = {},
): T {
  const layout = options.layout ?? 'NHWC';
  if (layout !== 'NHWC' && layout !== 'NCHW') {
    throw new InvalidArgumentError('layout', `flipImagesInPlace: 'layout' must be 'NHWC' or 'NCHW', but got '${String(layout)}'.`);
  }
  if (!Array.isArray(shape) || shape.length !== 4) {
    throw new InvalidArgumentError('shape', `flipImagesInPlace: 'shape' must have 4 entries (${layout}), but got ${JSON.stringify(shape)}.`);
  }
  shape.forEach((size, axis) => checkCount('flipImagesInPlace', `shape[${axis}]`, size));
  const [count, a, b, c] = shape;
  const [height, width, channels] = layout === 'NHWC' ? [a, b, c] : [b, c, a];
  if (data.length !== count * height * width * channels) {
    throw new InvalidArgumentError(
      'data',
      `flipImagesInPlace: 'data' holds ${data.length} values, but shape ${JSON.stringify(shape)} (${layout}) needs ${count * height * width * channels}.`,
    );
  }
  if (mask.length !== count) {
    throw new InvalidArgumentError('mask', `flipImagesInPlace: 'mask' has ${mask.length} entries, but the batch has ${count} images.`);
  }

  const imageSize = height * width * channels;
  for (let n = 0; n < count; n++) {
    if (!mask[n]) continue;
    const base = n * imageSize;
    if (layout === 'NHWC') {
      // Swap whole pixels (all channels) between column x and its mirror.
      for (let y = 0; y < height; y++) {
        const row = base + y * width * channels;
        for (let x = 0; x < width >> 1; x++) {
          const left = row + x * channels;
          const right = row + (width - 1 - x) * channels;
          for (let k = 0; k < channels; k++) swap(data, left + k, right + k);
        }
      }
    } else {
      // Each channel plane is an H×W image of its own.
      for (let row = base; row < base + imageSize; row += width) {
        for (let x = 0; x < width >> 1; x++) swap(data, row + x, row + width - 1 - x);
      }
    }
  }
  return data;
}

function swap(data: PixelArray, i: number, j: number): void {
  const t = data[i] as number;
  data[i] = data[j] as number;
  data[j] = t;
}
