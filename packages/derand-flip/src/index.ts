/**
 * @airbench-ts/derand-flip: the derandomised (alternating) horizontal flip of
 * Jordan 2024, "94% on CIFAR-10 in 3.29 Seconds on a Single GPU" (docs/papers.md §1.1).
 * No dependencies; the tfjs adapter lives at `@airbench-ts/derand-flip/tfjs`.
 */
export { shouldFlip, createFlipPolicy } from './should-flip';
export type { FlipMode, FlipOptions, FlipPolicy } from './should-flip';
export { flipMask, flipMaskFor } from './flip-mask';
export { flipImagesInPlace } from './flip-images';
export type { ImageLayout, PixelArray } from './flip-images';
export { AirbenchError, InvalidArgumentError } from './errors';
