import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BatchSource } from '../src/index';

// Real CIFAR-10 images for the tests, read straight from the official binary
// files (this package does not depend on cifar-data): $CIFAR10_DIR or the shared
// copy beside the repository.
const MEAN = [0.4914, 0.4822, 0.4465];
const STD = [0.247, 0.2435, 0.2616];

function dataDir(): string {
  const shared = fileURLToPath(new URL('../../../../shared/cifar10/cifar-10-batches-bin', import.meta.url));
  const dir = process.env.CIFAR10_DIR ?? shared;
  if (!existsSync(`${dir}/data_batch_1.bin`)) {
    throw new Error(`CIFAR-10 not found at ${dir}; set CIFAR10_DIR to the official binary files (npm run data -- fetch prints where they are).`);
  }
  return dir;
}

/** The first `count` images of a batch file, normalised NHWC float32, and their labels. */
export function readImages(file: 'data_batch_1.bin' | 'test_batch.bin', count: number): { images: Float32Array; labels: Int32Array } {
  const raw = readFileSync(`${dataDir()}/${file}`);
  const images = new Float32Array(count * 3072);
  const labels = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const record = n * 3073;
    labels[n] = raw[record]!;
    for (let p = 0; p < 1024; p++)
      for (let c = 0; c < 3; c++) images[n * 3072 + p * 3 + c] = (raw[record + 1 + c * 1024 + p]! / 255 - MEAN[c]!) / STD[c]!;
  }
  return { images, labels };
}

/** A batch source over fixed arrays: shuffled by a fixed permutation per epoch, flipped on odd epochs. */
export function arraySource(data: { images: Float32Array; labels: Int32Array }, batchSize: number, augment = false): BatchSource {
  const count = data.labels.length;
  let epoch = 0;
  return {
    length: Math.floor(count / batchSize),
    *[Symbol.iterator]() {
      const e = epoch++;
      for (let b = 0; b + batchSize <= count; b += batchSize) {
        // A simple deterministic order: rotate by the epoch.
        const indices = Array.from({ length: batchSize }, (_, k) => (b + k + e * 7) % count);
        const pixels = new Float32Array(batchSize * 3072);
        indices.forEach((i, k) => pixels.set(data.images.subarray(i * 3072, (i + 1) * 3072), k * 3072));
        let inputs = tf.tensor4d(pixels, [batchSize, 32, 32, 3]);
        if (augment && e % 2 === 1) {
          const flipped = tf.reverse(inputs, 2);
          inputs.dispose();
          inputs = flipped as tf.Tensor4D;
        }
        yield { inputs, labels: tf.tensor1d(indices.map((i) => data.labels[i]!), 'int32') };
      }
    },
  };
}
