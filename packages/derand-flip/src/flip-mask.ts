import { checkCount } from './coin';
import { flipBit, resolveMode, type FlipOptions } from './should-flip';

/**
 * The flip decisions of images 0..count-1 in `epoch`, as 0/1 bytes.
 *
 * ```ts
 * const mask = flipMask(50_000, 0, { seed: 0 }); // about half are 1
 * ```
 */
export function flipMask(count: number, epoch: number, options: FlipOptions): Uint8Array {
  const mode = resolveMode('flipMask', options);
  checkCount('flipMask', 'count', count);
  checkCount('flipMask', 'epoch', epoch);
  const mask = new Uint8Array(count);
  for (let i = 0; i < count; i++) mask[i] = flipBit(options.seed, mode, i, epoch);
  return mask;
}

/**
 * The flip decisions of the images at `indices` (dataset positions, e.g. one
 * shuffled batch) in `epoch`: `mask[k]` is the decision for `indices[k]`.
 */
export function flipMaskFor(indices: ArrayLike<number>, epoch: number, options: FlipOptions): Uint8Array {
  const mode = resolveMode('flipMaskFor', options);
  checkCount('flipMaskFor', 'epoch', epoch);
  const mask = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const index = indices[k] as number;
    checkCount('flipMaskFor', `indices[${k}]`, index);
    mask[k] = flipBit(options.seed, mode, index, epoch);
  }
  return mask;
}
