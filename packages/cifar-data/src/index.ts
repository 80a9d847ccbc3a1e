/**
 * @airbench-ts/cifar-data: CIFAR-10/100 from a directory, the cache or the network,
 * verified against the official checksums, and airbench's data loader (docs/papers.md §1.1).
 */
export { loadCifar10, loadCifar100 } from './load';
export type { Cifar10, Cifar100, Cifar100Split, LoadOptions } from './load';
export { fetchCifar10, fetchCifar100 } from './fetch';
export type { DatasetLocation, DownloadSource, FetchOptions } from './fetch';
export { readCifarBinary } from './binary-format';
export type { BinaryFormat, DecodedRecords, ImageSplit } from './binary-format';
export { verifyDirectory } from './verify';
export type { FileProblem } from './verify';
export { defaultCacheDir } from './cache-dir';
export { CIFAR10, CIFAR100 } from './datasets';
export type { DatasetFile, DatasetSpec } from './datasets';
export { CifarLoader } from './loader';
export type { Batch, FlipPolicy, LoaderOptions } from './loader';
export { normalizeImages, CIFAR10_MEAN, CIFAR10_STD, CIFAR100_MEAN, CIFAR100_STD } from './normalize';
export type { NormalizeOptions } from './normalize';
export type { ProgressEvent, ProgressOption } from './progress';
export { AirbenchError, DatasetFileError, DatasetUnavailableError, DownloadError, InvalidArgumentError } from './errors';
export type { SourceAttempt } from './errors';
