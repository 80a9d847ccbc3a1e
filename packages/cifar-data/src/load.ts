import { allocateRecords, decodeRecordsInto, type DecodedRecords, type ImageSplit } from './binary-format';
import { CIFAR10, CIFAR100, IMAGE_BYTES, type DatasetSpec } from './datasets';
import { InvalidArgumentError } from './errors';
import { locateDataset, type DatasetLocation, type FetchOptions } from './fetch';

export interface LoadOptions extends FetchOptions {
  /**
   * Decode only the first `train` / `test` images of each split, in the files' order (what a run on a subset
   * trains and evaluates on): memory for those images alone, e.g. 15 MB instead of 154 MB for 5,000 training
   * images. Every file is still found and verified as without it. Default: all of each split.
   */
  subset?: { train?: number; test?: number };
}

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
 * const small = await loadCifar10({ subset: { train: 5000 } }); // small.train.length === 5000
 * ```
 */
export async function loadCifar10(options: LoadOptions = {}): Promise<Cifar10> {
  const { location, splits } = await locateAndDecode(CIFAR10, options);
  return { train: plain(splits.train), test: plain(splits.test), classes: CIFAR10.classes, location };
}

/** Loads the binary version of CIFAR-100, with fine and coarse labels. */
export async function loadCifar100(options: LoadOptions = {}): Promise<Cifar100> {
  const { location, splits } = await locateAndDecode(CIFAR100, options);
  return {
    train: withCoarse(splits.train),
    test: withCoarse(splits.test),
    classes: CIFAR100.classes,
    coarseClasses: CIFAR100.coarseClasses ?? [],
    location,
  };
}

/**
 * Finds the dataset and decodes each file into its split as soon as it is verified, so that one file's raw bytes,
 * not all 178 MB of them, are alive beside the decoded images (a loading process peaked ~150 MB lower).
 */
async function locateAndDecode(spec: DatasetSpec, options: LoadOptions) {
  // Where each file's records go: its split, after the records of the files listed before it in that split.
  const recordBytes = spec.labelBytes + IMAGE_BYTES;
  const counts = { train: 0, test: 0 };
  const places = new Map<string, { split: 'train' | 'test'; first: number }>();
  for (const file of spec.files) {
    places.set(file.name, { split: file.split, first: counts[file.split] });
    counts[file.split] += file.bytes / recordBytes;
  }
  const wanted = { train: subsetSize(spec, options, 'train', counts.train), test: subsetSize(spec, options, 'test', counts.test) };
  const splits = { train: allocateRecords(wanted.train, spec), test: allocateRecords(wanted.test, spec) };
  const location = await locateDataset(spec, options, (name, data, path) => {
    const { split, first } = places.get(name)!;
    // A file wholly past the subset is verified, not decoded; one that straddles its end is decoded in part.
    const records = Math.min(wanted[split] - first, data.length / recordBytes);
    if (records > 0) decodeRecordsInto(splits[split], first, path, data.subarray(0, records * recordBytes), spec);
  });
  return { location, splits };
}

/** How many images of `split` to decode: `options.subset[split]`, checked against the split's size, or all. */
function subsetSize(spec: DatasetSpec, options: LoadOptions, split: 'train' | 'test', total: number): number {
  const n = options.subset?.[split];
  if (n === undefined) return total;
  if (!Number.isSafeInteger(n) || n < 1 || n > total) {
    throw new InvalidArgumentError('subset', `load ${spec.name}: 'subset.${split}' must be a whole number of images from 1 to ${total}, but got ${String(n)}.`);
  }
  return n;
}

function plain(records: DecodedRecords): ImageSplit {
  return { images: records.images, labels: records.labelSets[0]!, length: records.length };
}

function withCoarse(records: DecodedRecords): Cifar100Split {
  return { images: records.images, labels: records.labelSets[1]!, coarseLabels: records.labelSets[0]!, length: records.length };
}
