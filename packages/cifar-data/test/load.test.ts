import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fetchCifar10, loadCifar10, type Cifar10 } from '../src/index';

let dir: string;
let data: Cifar10;

beforeAll(async () => {
  dir = (await fetchCifar10({ progress: false })).dir;
  data = await loadCifar10({ dataDir: dir });
});

function counts(labels: Uint8Array): number[] {
  const out = new Array<number>(10).fill(0);
  for (const label of labels) out[label]! += 1;
  return out;
}

describe('loadCifar10 on the real dataset', () => {
  it('has 50,000 training and 10,000 test images in NHWC uint8', () => {
    expect(data.train.length).toBe(50_000);
    expect(data.test.length).toBe(10_000);
    expect(data.train.images).toBeInstanceOf(Uint8Array);
    expect(data.train.images.length).toBe(50_000 * 32 * 32 * 3);
    expect(data.test.images.length).toBe(10_000 * 32 * 32 * 3);
    expect(data.train.labels.length).toBe(50_000);
    expect(data.location).toEqual({ dir, source: 'directory' });
  });

  it('has the known first labels and balanced classes', () => {
    expect(data.classes[data.train.labels[0]!]).toBe('frog');
    expect(data.train.labels[0]).toBe(6);
    expect(data.classes[data.test.labels[0]!]).toBe('cat');
    expect(data.test.labels[0]).toBe(3);
    expect(counts(data.train.labels)).toEqual(new Array(10).fill(5000));
    expect(counts(data.test.labels)).toEqual(new Array(10).fill(1000));
  });

  it('transposes every CHW record to HWC, byte for byte', () => {
    // The whole test split against the layout's definition (the decoder writes four pixels as three words).
    const raw = readFileSync(join(dir, 'test_batch.bin'));
    let mismatches = 0;
    for (let n = 0; n < 10_000; n++) {
      for (let p = 0; p < 1024; p++) {
        for (let c = 0; c < 3; c++) if (data.test.images[n * 3072 + p * 3 + c] !== raw[n * 3073 + 1 + c * 1024 + p]) mismatches += 1;
      }
    }
    expect(mismatches).toBe(0);
  });

  it('transposes the CHW records to HWC', () => {
    // Record 1 of test_batch.bin: label byte, then 1024 R, 1024 G, 1024 B values.
    const raw = readFileSync(join(dir, 'test_batch.bin'));
    const record = 1 + 3072;
    for (const [y, x] of [
      [0, 0],
      [5, 17],
      [31, 31],
    ] as const) {
      const p = y * 32 + x;
      for (let c = 0; c < 3; c++) {
        expect(data.test.images[3072 + p * 3 + c]).toBe(raw[record + 1 + c * 1024 + p]);
      }
    }
  });

  it('accepts the parent folder and $CIFAR10_DIR', async () => {
    const viaParent = await loadCifar10({ dataDir: dirname(dir) });
    expect(viaParent.location.dir).toBe(dir);
    const saved = process.env.CIFAR10_DIR;
    process.env.CIFAR10_DIR = dir;
    try {
      const viaEnv = await loadCifar10({ cacheDir: '/nonexistent-cache', sources: [] });
      expect(viaEnv.location).toEqual({ dir, source: 'directory' });
      expect(viaEnv.train.labels).toEqual(data.train.labels);
    } finally {
      if (saved === undefined) delete process.env.CIFAR10_DIR;
      else process.env.CIFAR10_DIR = saved;
    }
  });
});

describe('loading a subset', () => {
  it('decodes only the first images of each split, the same bytes as the full load, across a file boundary', async () => {
    // 10,001 training images: all of data_batch_1 and the first record of data_batch_2.
    const small = await loadCifar10({ dataDir: dir, subset: { train: 10_001, test: 100 } });
    expect([small.train.length, small.test.length]).toEqual([10_001, 100]);
    expect(small.train.images.length).toBe(10_001 * 3072);
    expect(Buffer.compare(small.train.images, data.train.images.subarray(0, 10_001 * 3072))).toBe(0);
    expect(Buffer.compare(small.train.labels, data.train.labels.subarray(0, 10_001))).toBe(0);
    expect(Buffer.compare(small.test.images, data.test.images.subarray(0, 100 * 3072))).toBe(0);
    expect(small.location).toEqual(data.location);
  });

  it('keeps a split whole when only the other is cut', async () => {
    const small = await loadCifar10({ dataDir: dir, subset: { train: 1 } });
    expect([small.train.length, small.test.length]).toEqual([1, 10_000]);
    expect(small.train.labels[0]).toBe(6);
  });

  it.each([0, 50_001, 1.5, Number.NaN])('refuses subset.train = %s before looking for the files, naming it', async (n) => {
    const error = await loadCifar10({ dataDir: join(dir, 'no-such-dir'), subset: { train: n } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'InvalidArgumentError', argument: 'subset' });
    expect((error as Error).message).toMatch(/'subset\.train' must be a whole number of images from 1 to 50000/);
  });
});
