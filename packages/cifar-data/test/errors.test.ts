import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AirbenchError,
  CIFAR10,
  DatasetFileError,
  DatasetUnavailableError,
  DownloadError,
  fetchCifar10,
  InvalidArgumentError,
  loadCifar10,
  loadCifar100,
  readCifarBinary,
} from '../src/index';

let real: string;
let work: string;
const savedEnv = process.env.CIFAR10_DIR;

beforeAll(async () => {
  real = (await fetchCifar10({ progress: false })).dir;
  // These tests are about what happens without a given directory.
  delete process.env.CIFAR10_DIR;
  work = mkdtempSync(join(tmpdir(), 'cifar-errors-'));
});

afterAll(() => {
  if (savedEnv !== undefined) process.env.CIFAR10_DIR = savedEnv;
  rmSync(work, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    expect(AirbenchError.isInstance(error)).toBe(true);
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('a given directory is used or refused, never replaced', () => {
  it('names a missing file', async () => {
    const dir = join(work, 'missing');
    mkdirSync(dir);
    const error = await rejection(loadCifar10({ dataDir: dir, sources: [] }));
    expect(error).toBeInstanceOf(DatasetFileError);
    expect(DatasetFileError.isInstance(error)).toBe(true);
    // Each class has its own marker: a DatasetFileError is no DownloadError nor InvalidArgumentError.
    expect(DownloadError.isInstance(error)).toBe(false);
    expect(InvalidArgumentError.isInstance(error)).toBe(false);
    expect((error as DatasetFileError).file).toBe(join(dir, 'data_batch_1.bin'));
    expect(error.message).toMatch(/data_batch_1\.bin is missing/);
    expect(error.message).toMatch(/official binary version/);
  });

  it('names a truncated file', async () => {
    const dir = join(work, 'truncated');
    mkdirSync(dir);
    copyOfRealInto(dir, ['data_batch_3.bin']);
    truncateSync(join(dir, 'data_batch_3.bin'), 1_000_000);
    const error = await rejection(loadCifar10({ dataDir: dir }));
    expect((error as DatasetFileError).file).toBe(join(dir, 'data_batch_3.bin'));
    expect(error.message).toMatch(/data_batch_3\.bin is truncated: 1000000 bytes, expected 30730000/);
  });

  it('names a corrupted file by its MD5', async () => {
    const dir = join(work, 'corrupted');
    mkdirSync(dir);
    copyOfRealInto(dir, ['test_batch.bin']);
    const bytes = readFileSync(join(dir, 'test_batch.bin'));
    bytes[12345] = (bytes[12345]! + 1) % 256;
    writeFileSync(join(dir, 'test_batch.bin'), bytes);
    const error = await rejection(loadCifar10({ dataDir: dir }));
    expect(error.message).toMatch(/test_batch\.bin is corrupted: MD5 [0-9a-f]{32}, expected 803d5f7f4d78ea53de84dbe85f74fb6d/);
  });
});

describe('isInstance across copies of the package', () => {
  it('recognises each class where instanceof fails, and only that class', async () => {
    // A second module instance stands for a duplicate install (two versions in node_modules).
    const secondCopy = '../src/errors?second-copy';
    const copy = (await import(/* @vite-ignore */ secondCopy)) as typeof import('../src/errors');
    expect(copy.DownloadError).not.toBe(DownloadError);
    const error = new copy.DownloadError('https://example.test/x.tar.gz', 'cut short');
    expect(error instanceof DownloadError).toBe(false);
    expect(DownloadError.isInstance(error)).toBe(true);
    expect(AirbenchError.isInstance(error)).toBe(true);
    expect(InvalidArgumentError.isInstance(error)).toBe(false);
    expect(DatasetFileError.isInstance(error)).toBe(false);
    expect(InvalidArgumentError.isInstance(new copy.InvalidArgumentError('batchSize', 'too small'))).toBe(true);
    expect(AirbenchError.isInstance(new Error('plain'))).toBe(false);
  });
});

function copyOfRealInto(dir: string, damaged: string[]): void {
  for (const file of CIFAR10.files) {
    if (damaged.includes(file.name)) copyFileSync(join(real, file.name), join(dir, file.name));
    else symlinkSync(join(real, file.name), join(dir, file.name));
  }
}

describe('without a directory', () => {
  it('says what it tried and what to do when no source is allowed', async () => {
    const error = await rejection(loadCifar10({ cacheDir: join(work, 'empty-cache'), sources: [] }));
    expect(error).toBeInstanceOf(DatasetUnavailableError);
    expect((error as DatasetUnavailableError).attempts[0]!.reason).toBe('not there yet');
    expect(error.message).toMatch(/pass it as dataDir or set CIFAR10_DIR/);
  });

  it('drops a damaged cached file instead of using it', async () => {
    const cache = join(work, 'damaged-cache');
    mkdirSync(join(cache, CIFAR10.folder), { recursive: true });
    copyOfRealInto(join(cache, CIFAR10.folder), ['data_batch_2.bin']);
    truncateSync(join(cache, CIFAR10.folder, 'data_batch_2.bin'), 10);
    const error = await rejection(loadCifar10({ cacheDir: cache, sources: [] }));
    expect((error as DatasetUnavailableError).attempts[0]!.reason).toMatch(/data_batch_2\.bin is truncated.*re-fetching/);
    expect(readdirSync(join(cache, CIFAR10.folder))).not.toContain('data_batch_2.bin');
  });

  it('refuses an unknown source before doing anything', async () => {
    await expect(loadCifar10({ cacheDir: join(work, 'x'), sources: ['ftp' as never] })).rejects.toThrow(/unknown source 'ftp'/);
  });
});

describe('readCifarBinary on small generated files', () => {
  function records(labels: number[][], recordBytes: number): Uint8Array {
    const out = new Uint8Array(labels.length * recordBytes);
    labels.forEach((label, n) => {
      out.set(label, n * recordBytes);
      for (let i = label.length; i < recordBytes; i++) out[n * recordBytes + i] = (n * 7 + i) % 256;
    });
    return out;
  }

  it('decodes CIFAR-10 and CIFAR-100 records', async () => {
    const ten = join(work, 'ten.bin');
    writeFileSync(ten, records([[3], [9]], 3073));
    const a = await readCifarBinary([ten], 'cifar10');
    expect(a.length).toBe(2);
    expect(Array.from(a.labelSets[0]!)).toEqual([3, 9]);
    // pixel (0,0) of image 1: R at record byte 1, G at 1025, B at 2049
    expect(Array.from(a.images.subarray(3072, 3075))).toEqual([(7 + 1) % 256, (7 + 1025) % 256, (7 + 2049) % 256]);

    const hundred = join(work, 'hundred.bin');
    writeFileSync(hundred, records([[19, 99], [0, 42]], 3074));
    const b = await readCifarBinary([hundred], 'cifar100');
    expect(Array.from(b.labelSets[0]!)).toEqual([19, 0]);
    expect(Array.from(b.labelSets[1]!)).toEqual([99, 42]);
  });

  it('names the file and record of a label out of range', async () => {
    const bad = join(work, 'bad-label.bin');
    writeFileSync(bad, records([[1], [10]], 3073));
    const error = await rejection(readCifarBinary([bad], 'cifar10'));
    expect((error as DatasetFileError).file).toBe(bad);
    expect(error.message).toMatch(/record 1 of .*bad-label\.bin has label 10, outside 0\.\.9/);
    const fine = join(work, 'bad-fine.bin');
    writeFileSync(fine, records([[3, 100]], 3074));
    await expect(readCifarBinary([fine], 'cifar100')).rejects.toThrow(/has label 100, outside 0\.\.99/);
  });

  it('names a file that is not whole records', async () => {
    const partial = join(work, 'partial.bin');
    writeFileSync(partial, new Uint8Array(3073 + 100));
    await expect(readCifarBinary([partial], 'cifar10')).rejects.toThrow(/partial\.bin has 3173 bytes, not a whole number of 3073-byte records/);
    await expect(readCifarBinary([join(work, 'nope.bin')], 'cifar10')).rejects.toThrow(/cannot read .*nope\.bin/);
  });
});

describe('loadCifar100 from a directory in the binary layout', () => {
  it('reads fine and coarse labels, and refuses a fine label out of range', async () => {
    const dir = join(work, 'cifar-100-binary');
    mkdirSync(dir);
    const make = (count: number, fineOf: (n: number) => number) => {
      const out = new Uint8Array(count * 3074);
      for (let n = 0; n < count; n++) {
        out[n * 3074] = n % 20;
        out[n * 3074 + 1] = fineOf(n);
        out[n * 3074 + 2] = n % 256; // first red value
      }
      return out;
    };
    writeFileSync(join(dir, 'train.bin'), make(50_000, (n) => n % 100));
    writeFileSync(join(dir, 'test.bin'), make(10_000, (n) => (n * 3) % 100));
    const data = await loadCifar100({ dataDir: work });
    expect(data.train.length).toBe(50_000);
    expect(data.test.length).toBe(10_000);
    expect(data.train.labels[123]).toBe(23);
    expect(data.train.coarseLabels[123]).toBe(3);
    expect(data.test.labels[7]).toBe(21);
    expect(data.classes).toHaveLength(100);
    expect(data.coarseClasses).toHaveLength(20);
    expect(data.train.images[300 * 3072]).toBe(300 % 256);

    writeFileSync(join(dir, 'test.bin'), make(10_000, (n) => (n === 9_999 ? 150 : 0)));
    await expect(loadCifar100({ dataDir: dir })).rejects.toThrow(/record 9999 of .*test\.bin has label 150, outside 0\.\.99/);
  });
});
