import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { flipImagesInPlace, flipMask } from '../src/index';
import { flipBatch } from '../src/tfjs';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('flipBatch (tfjs adapter)', () => {
  const [n, h, w, c] = [4, 3, 5, 3];
  const values = Float32Array.from({ length: n * h * w * c }, (_, i) => i);

  it('matches the typed-array flip for NHWC and NCHW', async () => {
    const mask = flipMask(n, 0, { seed: 4 });
    const images = tf.tensor4d(values, [n, h, w, c]);
    const flipped = flipBatch(images, mask);
    expect(flipped.shape).toEqual([n, h, w, c]);
    expect(Array.from(await flipped.data())).toEqual(Array.from(flipImagesInPlace(values.slice(), [n, h, w, c], mask)));

    const nchw = tf.transpose(images, [0, 3, 1, 2]);
    const flippedNchw = flipBatch(nchw, tf.tensor1d(Array.from(mask), 'int32'), { layout: 'NCHW' });
    expect(await tf.transpose(flippedNchw, [0, 2, 3, 1]).array()).toEqual(await flipped.array());
    tf.dispose([images, flipped, nchw, flippedNchw]);
  });

  it('returns exactly one new tensor and leaks nothing', () => {
    const images = tf.tensor4d(values, [n, h, w, c]);
    const before = tf.memory().numTensors;
    const out = flipBatch(images, [1, 0, 1, 0]);
    expect(tf.memory().numTensors).toBe(before + 1);
    out.dispose();
    expect(() => flipBatch(images, [1, 0])).toThrow(/one entry per image \(4\), but got shape \[2\]/);
    expect(tf.memory().numTensors).toBe(before);
    images.dispose();
  });

  it('passes the gradient through the mirror', () => {
    const images = tf.tensor4d(values, [n, h, w, c]);
    const weights = tf.randomNormal<tf.Rank.R4>([n, h, w, c], 0, 1, 'float32', 1);
    // d/dx sum(flip(x) * W) = flip(W) for flipped images, W otherwise.
    const grad = tf.grad((x) => tf.sum(tf.mul(flipBatch(x as tf.Tensor4D, [0, 1, 1, 0]), weights)))(images);
    const expected = flipBatch(weights, [0, 1, 1, 0]);
    expect(Array.from(grad.dataSync())).toEqual(Array.from(expected.dataSync()));
    tf.dispose([images, weights, grad, expected]);
  });
});
