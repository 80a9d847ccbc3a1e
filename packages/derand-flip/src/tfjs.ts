import { cast, op, reshape, reverse, tensor1d, where, type Tensor1D, type Tensor4D, type TensorLike } from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from './errors';
import type { ImageLayout } from './flip-images';

/**
 * Mirrors left-right the images of a batch tensor whose mask entry is 1/true.
 * Returns a new tensor (the caller owns it); the input is not changed, and no
 * intermediate tensor outlives the call.
 *
 * ```ts
 * import { flipMaskFor } from '@airbench-ts/derand-flip';
 * import { flipBatch } from '@airbench-ts/derand-flip/tfjs';
 * const flipped = flipBatch(images, flipMaskFor(batchIndices, epoch, { seed }));
 * ```
 * @param images A rank-4 batch, NHWC (default) or NCHW.
 * @param mask One entry per image (a typed array, an array or a bool/int tensor).
 */
function flipBatch_(
  images: Tensor4D,
  mask: Tensor1D | TensorLike,
  options: { layout?: ImageLayout } = {},
): Tensor4D {
  const layout = options.layout ?? 'NHWC';
  if (layout !== 'NHWC' && layout !== 'NCHW') {
    throw new InvalidArgumentError('layout', `flipBatch: 'layout' must be 'NHWC' or 'NCHW', but got '${String(layout)}'.`);
  }
  if (images.rank !== 4) {
    throw new InvalidArgumentError('images', `flipBatch: 'images' must be rank 4 (${layout}), but got shape [${images.shape.join(', ')}].`);
  }
  const condition = isTensor(mask) ? cast(mask, 'bool') : tensor1d(Array.from(mask as ArrayLike<number>, Boolean), 'bool');
  if (condition.rank !== 1 || condition.shape[0] !== images.shape[0]) {
    throw new InvalidArgumentError(
      'mask',
      `flipBatch: 'mask' must have one entry per image (${images.shape[0]}), but got shape [${condition.shape.join(', ')}].`,
    );
  }
  const widthAxis = layout === 'NHWC' ? 2 : 3;
  // Shaped [n, 1, 1, 1], the condition broadcasts over each whole image.
  return where(reshape(condition, [-1, 1, 1, 1]), reverse(images, widthAxis), images);
}

function isTensor(value: unknown): value is Tensor1D {
  return typeof value === 'object' && value !== null && 'dataId' in value && 'shape' in value;
}

export const flipBatch = op({ flipBatch_ });
