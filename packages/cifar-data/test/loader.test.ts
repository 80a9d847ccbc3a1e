import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { CIFAR10_MEAN, CIFAR10_STD, CifarLoader, InvalidArgumentError, loadCifar10, normalizeImages, type Cifar10 } from '../src/index';

let data: Cifar10;

beforeAll(async () => {
  await tf.setBackend('cpu');
  data = await loadCifar10();
});

/** Normalised value of channel c of pixel (y, x) of training image i, by the definition. */
function expected(i: number, y: number, x: number, c: number): number {
  const v = data.train.images[((i * 32 + y) * 32 + x) * 3 + c]!;
  return (v / 255 - CIFAR10_MEAN[c]!) / CIFAR10_STD[c]!;
}

function firstBatch(loader: CifarLoader, epoch = 0) {
  const batch = loader.batches(epoch).next().value!;
  const pixels = batch.inputs.dataSync() as Float32Array;
  const labels = Array.from(batch.labels.dataSync());
  const shape = batch.inputs.shape;
  tf.dispose([batch.inputs, batch.labels]);
  return { pixels, labels, shape, indices: Array.from(batch.indices), dtype: batch.labels.dtype };
}

describe('CifarLoader without augmentation', () => {
  it('yields normalised NHWC float32 batches in dataset order with int32 labels', () => {
    const loader = new CifarLoader(data.train, { batchSize: 8 });
    const { pixels, labels, shape, indices, dtype } = firstBatch(loader);
    expect(shape).toEqual([8, 32, 32, 3]);
    expect(dtype).toBe('int32');
    expect(indices).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(labels).toEqual(Array.from(data.train.labels.subarray(0, 8)));
    for (const [i, y, x, c] of [
      [0, 0, 0, 0],
      [3, 10, 20, 1],
      [7, 31, 31, 2],
    ] as const) {
      expect(pixels[((i * 32 + y) * 32 + x) * 3 + c]).toBeCloseTo(expected(i, y, x, c), 5);
    }
  });

  it('counts batches with and without drop_last', () => {
    expect(new CifarLoader(data.train, { batchSize: 1024, dropLast: true }).length).toBe(48);
    expect(new CifarLoader(data.train, { batchSize: 1024 }).length).toBe(49);
    expect(new CifarLoader(data.test, { batchSize: 2000 }).length).toBe(5);
    const loader = new CifarLoader(data.test, { batchSize: 3000 });
    const sizes = [...loader.batches(0)].map((b) => {
      tf.dispose([b.inputs, b.labels]);
      return b.indices.length;
    });
    expect(sizes).toEqual([3000, 3000, 3000, 1000]);
  });
});

describe('order and randomness', () => {
  it('shuffles into a permutation each epoch; drop_last drops a different set each epoch', () => {
    // The first 5,000 images in batches of 1,024: 4 batches an epoch, 904 images dropped.
    const loader = new CifarLoader(data.train, { batchSize: 1024, shuffle: true, dropLast: true, seed: 3, subset: 5000 });
    const seen = (epoch: number) => {
      const indices: number[] = [];
      for (const batch of loader.batches(epoch)) {
        indices.push(...batch.indices);
        tf.dispose([batch.inputs, batch.labels]);
      }
      return indices;
    };
    const e0 = seen(0);
    const e1 = seen(1);
    expect(e0).toHaveLength(4 * 1024);
    expect(new Set(e0).size).toBe(4 * 1024);
    expect(e0.every((i) => i < 5000)).toBe(true);
    expect(e0.slice(0, 20)).not.toEqual(e1.slice(0, 20));
    const dropped = (s: number[]) => {
      const used = new Set(s);
      return new Set(Array.from({ length: 5000 }, (_, i) => i).filter((i) => !used.has(i)));
    };
    const [d0, d1] = [dropped(e0), dropped(e1)];
    expect(d0.size).toBe(904);
    expect([...d0].filter((i) => d1.has(i)).length).toBeLessThan(300); // about 904²/5000 ≈ 163 in common; the same set would be 904
  });

  it('gives identical batches for the same seed and epoch, different ones for another seed', () => {
    const options = { batchSize: 64, shuffle: true, translate: 2, cutout: 8, seed: 11 };
    const a = firstBatch(new CifarLoader(data.train, options), 2);
    const b = firstBatch(new CifarLoader(data.train, options), 2);
    expect(b.indices).toEqual(a.indices);
    expect(b.pixels).toEqual(a.pixels);
    const c = firstBatch(new CifarLoader(data.train, { ...options, seed: 12 }), 2);
    expect(c.indices).not.toEqual(a.indices);
  });

  it('separates the seeds: order from orderSeed, an image’s augmentation from (augmentSeed, epoch, image) alone', () => {
    const base = { batchSize: 100, shuffle: true, translate: 2, cutout: 8, subset: 400 };
    // Every image of epoch 1, by dataset index, whatever batch it landed in.
    const byImage = (loader: CifarLoader) => {
      const images = new Map<number, Float32Array>();
      for (const batch of loader.batches(1)) {
        const pixels = batch.inputs.dataSync() as Float32Array;
        batch.indices.forEach((index, k) => images.set(index, pixels.slice(k * 3072, (k + 1) * 3072)));
        tf.dispose([batch.inputs, batch.labels]);
      }
      return images;
    };
    const order = (loader: CifarLoader) => Array.from(loader.batches(1).next().value!.indices);
    const a = new CifarLoader(data.train, { ...base, orderSeed: 1, augmentSeed: 5 });
    const otherOrder = new CifarLoader(data.train, { ...base, orderSeed: 2, augmentSeed: 5 });
    const otherAugment = new CifarLoader(data.train, { ...base, orderSeed: 1, augmentSeed: 6 });
    expect(order(otherOrder)).not.toEqual(order(a));
    expect(order(otherAugment)).toEqual(order(a));
    const [imagesA, imagesOrder, imagesAugment] = [byImage(a), byImage(otherOrder), byImage(otherAugment)];
    const equal = (x: Float32Array, y: Float32Array | undefined) => y !== undefined && x.length === y.length && x.every((v, i) => v === y[i]);
    let same = 0;
    const changedByOrder: number[] = [];
    for (const [index, pixels] of imagesA) {
      // A new order leaves every image's augmentation as it was.
      if (!equal(pixels, imagesOrder.get(index))) changedByOrder.push(index);
      if (equal(pixels, imagesAugment.get(index))) same += 1;
    }
    expect(imagesA.size).toBe(400);
    expect(changedByOrder).toEqual([]);
    // A new augmentSeed re-draws them (25 shifts × cutout places: a repeat is rare).
    expect(same).toBeLessThan(20);
    // `seed` alone still sets both.
    expect(order(new CifarLoader(data.train, { ...base, seed: 1 }))).toEqual(order(a));
  });

  it('iterates epoch after epoch and can resume at any epoch', () => {
    const loader = new CifarLoader(data.test, { batchSize: 5000, shuffle: true, seed: 1 });
    const firstOf = (iterable: Iterable<{ inputs: tf.Tensor; labels: tf.Tensor; indices: Int32Array }>) => {
      const out: number[][] = [];
      for (const batch of iterable) {
        out.push(Array.from(batch.indices.subarray(0, 5)));
        tf.dispose([batch.inputs, batch.labels]);
      }
      return out;
    };
    const epoch0 = firstOf(loader);
    const epoch1 = firstOf(loader);
    expect(loader.epoch).toBe(2);
    expect(epoch1).not.toEqual(epoch0);
    const resumed = new CifarLoader(data.test, { batchSize: 5000, shuffle: true, seed: 1 });
    resumed.epoch = 1;
    expect(firstOf(resumed)).toEqual(epoch1);
  });
});

describe('augmentation', () => {
  it('translates by a reflect-padded shift of at most r pixels, covering every shift', () => {
    const r = 2;
    const loader = new CifarLoader(data.train, { batchSize: 200, translate: r, seed: 5 });
    const { pixels } = firstBatch(loader);
    const reflect = (k: number) => (k < 0 ? -k : k > 31 ? 62 - k : k);
    const shifts = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const matches: string[] = [];
      for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          let same = true;
          for (let y = 0; y < 32 && same; y += 3) {
            for (let x = 0; x < 32 && same; x += 3) {
              const got = pixels[((i * 32 + y) * 32 + x) * 3]!;
              same = Math.abs(got - expected(i, reflect(y + dy), reflect(x + dx), 0)) < 1e-5;
            }
          }
          if (same) matches.push(`${dy},${dx}`);
        }
      }
      expect(matches.length).toBeGreaterThan(0);
      shifts.add(matches[0]!);
    }
    expect(shifts.size).toBe(25);
  });

  it('mirrors exactly the images the flip policy names, asking with dataset index and epoch', () => {
    const asked: string[] = [];
    const flip = (index: number, epoch: number) => {
      asked.push(`${index}@${epoch}`);
      return index % 2 === 1;
    };
    const loader = new CifarLoader(data.train, { batchSize: 4, flip, subset: [0, 1, 1, 0, 1, ...new Array(49_995).fill(0)] });
    const { pixels, indices } = firstBatch(loader, 3);
    expect(indices).toEqual([1, 2, 4]);
    expect(asked).toEqual(['1@3', '2@3', '4@3']);
    for (const [k, index] of indices.entries()) {
      const mirrored = index % 2 === 1;
      for (const x of [0, 9, 31]) {
        const sourceX = mirrored ? 31 - x : x;
        expect(pixels[((k * 32 + 4) * 32 + x) * 3 + 1]).toBeCloseTo(expected(index, 4, sourceX, 1), 5);
      }
    }
  });

  it('cuts out one s×s square, inside the image, set to 0 in every channel', () => {
    const s = 12;
    const { pixels } = firstBatch(new CifarLoader(data.train, { batchSize: 50, cutout: s, seed: 2 }));
    for (let i = 0; i < 50; i++) {
      const zero: [number, number][] = [];
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) {
          const o = ((i * 32 + y) * 32 + x) * 3;
          if (pixels[o] === 0 && pixels[o + 1] === 0 && pixels[o + 2] === 0) zero.push([y, x]);
        }
      }
      const ys = zero.map(([y]) => y);
      const xs = zero.map(([, x]) => x);
      expect(zero.length).toBe(s * s);
      expect(Math.max(...ys) - Math.min(...ys)).toBe(s - 1);
      expect(Math.max(...xs) - Math.min(...xs)).toBe(s - 1);
    }
  });

  it('uses the first N images, or a mask, chosen before iterating', () => {
    const firstN = new CifarLoader(data.train, { batchSize: 1000, subset: 2500, shuffle: true });
    expect(firstN.size).toBe(2500);
    expect(firstN.length).toBe(3);
    const all: number[] = [];
    for (const batch of firstN) {
      all.push(...batch.indices);
      tf.dispose([batch.inputs, batch.labels]);
    }
    expect(all.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: 2500 }, (_, i) => i));

    const mask = Array.from(data.train.labels, (label) => label === 6);
    const frogs = new CifarLoader(data.train, { batchSize: 5000, subset: mask });
    expect(frogs.size).toBe(5000);
    const { labels } = firstBatch(frogs);
    expect(new Set(labels)).toEqual(new Set([6]));
  });
});

describe('normalizeImages', () => {
  it('gives the first N images, normalised and un-augmented, as one tensor', () => {
    const x = normalizeImages(data.train, { count: 5 });
    expect(x.shape).toEqual([5, 32, 32, 3]);
    expect(x.dtype).toBe('float32');
    const values = x.dataSync();
    for (const [i, y, xx, c] of [[0, 0, 0, 0], [4, 31, 7, 2], [2, 15, 16, 1]] as const) {
      expect(values[((i * 32 + y) * 32 + xx) * 3 + c]).toBeCloseTo(expected(i, y, xx, c), 6);
    }
    // The same values the loader gives for the same images without augmentation.
    const batch = new CifarLoader(data.train, { batchSize: 5 }).batches(0).next().value!;
    expect(Array.from(batch.inputs.dataSync())).toEqual(Array.from(values));
    tf.dispose([x, batch.inputs, batch.labels]);
    expect(() => normalizeImages(data.train, { count: 0 })).toThrow(/'count' must be an integer in \[1, 50000\]/);
  });
});

describe('memory', () => {
  it('leaks no tensor over an epoch, and creates none after the caller stops early', () => {
    const loader = new CifarLoader(data.train, { batchSize: 1024, shuffle: true, dropLast: true, translate: 2, subset: 10_000 });
    const before = tf.memory().numTensors;
    for (const { inputs, labels } of loader) {
      expect(tf.memory().numTensors).toBe(before + 2);
      tf.dispose([inputs, labels]);
    }
    expect(tf.memory().numTensors).toBe(before);
    for (const { inputs, labels } of loader) {
      tf.dispose([inputs, labels]);
      break;
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('bad options are refused before any work', () => {
  it.each([
    [{ batchSize: 0 }, 'batchSize', /'batchSize' must be an integer in \[1, .*got 0/],
    [{ batchSize: 8, translate: 40 }, 'translate', /'translate' must be an integer in \[0, 31\], but got 40/],
    [{ batchSize: 8, cutout: -1 }, 'cutout', /'cutout'/],
    [{ batchSize: 8, seed: 1.5 }, 'seed', /'seed'/],
    [{ batchSize: 8, subset: 0 }, 'subset', /'subset'/],
    [{ batchSize: 8, subset: [1, 0] }, 'subset', /one entry per image \(10000\), but has 2/],
    [{ batchSize: 8, flip: true as never }, 'flip', /'flip' must be a function/],
  ])('%#: %o', (options, argument, message) => {
    let caught: unknown;
    try {
      new CifarLoader(data.test, options);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    expect((caught as InvalidArgumentError).argument).toBe(argument);
    expect((caught as Error).message).toMatch(message);
  });

  it('refuses data that is not an image split', () => {
    expect(() => new CifarLoader({ images: new Uint8Array(10), labels: new Uint8Array(1), length: 1 }, { batchSize: 1 })).toThrow(
      /'data' must be \{ images: Uint8Array of length×3072/,
    );
  });
});
