import { checkCount, coin } from './coin';
import { InvalidArgumentError } from './errors';

/**
 * `'alternating'` (the airbench paper's derandomised flip): image i is mirrored in
 * epoch 0 with a fair coin b_i, then in epoch e exactly when b_i XOR (e mod 2).
 * Every image is seen in both orientations within any two consecutive epochs.
 *
 * `'random'` (the standard augmentation): an independent fair coin for every
 * (image, epoch). Over two epochs a quarter of the images are seen only unflipped
 * and a quarter only flipped, which is the redundancy the alternating flip removes.
 */
export type FlipMode = 'alternating' | 'random';

export interface FlipOptions {
  /** Any non-negative safe integer. Different seeds give independent masks. */
  seed: number;
  /** Default `'alternating'`. */
  mode?: FlipMode;
}

/** A flip decision as a function of image index and epoch: what a data loader asks. */
export type FlipPolicy = (index: number, epoch: number) => boolean;

export function resolveMode(fn: string, options: FlipOptions): FlipMode {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('options', `${fn}: pass options as { seed, mode? }, but got ${String(options)}.`);
  }
  checkCount(fn, 'seed', options.seed);
  const mode = options.mode ?? 'alternating';
  if (mode !== 'alternating' && mode !== 'random') {
    throw new InvalidArgumentError('mode', `${fn}: 'mode' must be 'alternating' or 'random', but got '${String(mode)}'.`);
  }
  return mode;
}

/** The decision itself, for arguments already checked. */
export function flipBit(seed: number, mode: FlipMode, index: number, epoch: number): 0 | 1 {
  if (mode === 'random') return coin(seed, index, epoch);
  return (coin(seed, index, 0) ^ (epoch & 1)) as 0 | 1;
}

/**
 * Whether to mirror image `index` in `epoch`. Stateless and O(1).
 *
 * ```ts
 * shouldFlip(7, 0, { seed: 1 }) !== shouldFlip(7, 1, { seed: 1 }); // always true
 * ```
 * @param index The image's position in the dataset, a non-negative integer.
 * @param epoch The epoch, counted from 0.
 */
export function shouldFlip(index: number, epoch: number, options: FlipOptions): boolean {
  const mode = resolveMode('shouldFlip', options);
  checkCount('shouldFlip', 'index', index);
  checkCount('shouldFlip', 'epoch', epoch);
  return flipBit(options.seed, mode, index, epoch) === 1;
}

/**
 * The same decision as a function of (index, epoch), with the options checked once.
 * This is the shape a loader's flip option takes.
 *
 * ```ts
 * const policy = createFlipPolicy({ seed: 0 });
 * policy(3, 2); // same as shouldFlip(3, 2, { seed: 0 })
 * ```
 */
export function createFlipPolicy(options: FlipOptions): FlipPolicy {
  const mode = resolveMode('createFlipPolicy', options);
  const { seed } = options;
  return (index, epoch) => flipBit(seed, mode, index, epoch) === 1;
}
