/**
 * @airbench-ts/cifar-data in a browser (the `browser` export condition, which
 * bundlers pick): airbench's loader and the normalisation, with no `node:`
 * import. Reading, verifying and fetching the dataset files need a file system
 * and are only in the Node entry; a page gets its images some other way (see
 * examples/browser) and hands them over as an ImageSplit.
 */
export type { ImageSplit } from './binary-format';
export { CIFAR10, CIFAR100 } from './datasets';
export type { DatasetFile, DatasetSpec } from './datasets';
export { CifarLoader } from './loader';
export type { Batch, FlipPolicy, LoaderOptions } from './loader';
export { normalizeImages, CIFAR10_MEAN, CIFAR10_STD, CIFAR100_MEAN, CIFAR100_STD } from './normalize';
export type { NormalizeOptions } from './normalize';
export { AirbenchError, DatasetFileError, DatasetUnavailableError, DownloadError, InvalidArgumentError } from './errors';
