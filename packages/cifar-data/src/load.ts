import { decodeRecords, type ImageSplit } from './binary-format';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CIFAR10, CIFAR100, type DatasetSpec } from './datasets';
import { fetchDataset, type DatasetLocation, type FetchOptions } from './fetch';

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
  const location = await fetchDataset(CIFAR10, options);
  const [train, test] = await Promise.all([readSplit(location.dir, CIFAR10, 'train'), readSplit(location.dir, CIFAR10, 'test')]);
  return { train: plain(train), test: plain(test), classes: CIFAR10.classes, location };
}

/** Loads the binary version of CIFAR-100, with fine and coarse labels. */
export async function loadCifar100(options: FetchOptions = {}): Promise<Cifar100> {
  const location = await fetchDataset(CIFAR100, options);
  const [train, test] = await Promise.all([readSplit(location.dir, CIFAR100, 'train'), readSplit(location.dir, CIFAR100, 'test')]);
  return {
    train: withCoarse(train),
    test: withCoarse(test),
    classes: CIFAR100.classes,
    coarseClasses: CIFAR100.coarseClasses ?? [],
    location,
  };
}

async function readSplit(dir: string, spec: DatasetSpec, split: 'train' | 'test') {
  const files = spec.files.filter((f) => f.split === split).map((f) => join(dir, f.name));
  return decodeRecords(await Promise.all(files.map(async (path) => ({ path, data: await readFile(path) }))), spec);
}

function plain(records: ReturnType<typeof decodeRecords>): ImageSplit {
  return { images: records.images, labels: records.labelSets[0]!, length: records.length };
}

function withCoarse(records: ReturnType<typeof decodeRecords>): Cifar100Split {
  return { images: records.images, labels: records.labelSets[1]!, coarseLabels: records.labelSets[0]!, length: records.length };
}
