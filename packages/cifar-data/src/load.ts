import { join } from 'node:path';
import { decodeRecords, type ImageSplit } from './binary-format';
import { CIFAR10, CIFAR100, type DatasetSpec } from './datasets';
import { locateDataset, type DatasetLocation, type FetchOptions } from './fetch';

export interface Cifar10 {
  train: ImageSplit;
  test: ImageSplit;
  classes: readonly string[];
  /** Where the files were found. */
  location: DatasetLocation;
}

/** A CIFAR-100 split: `labels` are the 100 fine classes, `coarseLabels` the 20 superclasses. */
export interface Cifar100Split extends ImageSplit {
  coarseLabels: Uint8Array;
}

export interface Cifar100 {
  train: Cifar100Split;
  test: Cifar100Split;
  classes: readonly string[];
  coarseClasses: readonly string[];
  location: DatasetLocation;
}

/**
 * Loads CIFAR-10 (50,000 training and 10,000 test images) as NHWC uint8 arrays,
 * fetching and verifying it first if needed (see `fetchCifar10`).
 *
 * ```ts
 * const { train, test, classes } = await loadCifar10({ dataDir: './cifar-10-batches-bin' });
 * classes[train.labels[0]]; // 'frog'
 * ```
 */
export async function loadCifar10(options: FetchOptions = {}): Promise<Cifar10> {
  const { location, contents } = await locateDataset(CIFAR10, options);
  const [train, test] = [decodeSplit(location.dir, contents, CIFAR10, 'train'), decodeSplit(location.dir, contents, CIFAR10, 'test')];
  return { train: plain(train), test: plain(test), classes: CIFAR10.classes, location };
}

/** Loads the binary version of CIFAR-100, with fine and coarse labels. */
export async function loadCifar100(options: FetchOptions = {}): Promise<Cifar100> {
  const { location, contents } = await locateDataset(CIFAR100, options);
  const [train, test] = [decodeSplit(location.dir, contents, CIFAR100, 'train'), decodeSplit(location.dir, contents, CIFAR100, 'test')];
  return {
    train: withCoarse(train),
    test: withCoarse(test),
    classes: CIFAR100.classes,
    coarseClasses: CIFAR100.coarseClasses ?? [],
    location,
  };
}

/** Decodes one split from the bytes that were verified (each file is read once). */
function decodeSplit(dir: string, contents: Map<string, Buffer>, spec: DatasetSpec, split: 'train' | 'test') {
  const files = spec.files.filter((f) => f.split === split);
  return decodeRecords(files.map((f) => ({ path: join(dir, f.name), data: contents.get(f.name)! })), spec);
}

function plain(records: ReturnType<typeof decodeRecords>): ImageSplit {
  return { images: records.images, labels: records.labelSets[0]!, length: records.length };
}

function withCoarse(records: ReturnType<typeof decodeRecords>): Cifar100Split {
  return { images: records.images, labels: records.labelSets[1]!, coarseLabels: records.labelSets[0]!, length: records.length };
}
