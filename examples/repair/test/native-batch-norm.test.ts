import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { nativeBinding, selectBackend } from '@airbench-ts-example/backend';
import { batchNorm } from '@airbench-ts-example/models';

// The models' training-mode BatchNorm on the native backend is TensorFlow's FusedBatchNormV3 and its gradient
// (examples/models/src/native-batch-norm.ts): the same values and gradients as the formula in tfjs ops, on
// the backend the examples train on. (models.test.ts checks the tfjs-op path, on the cpu backend.)
const built = existsSync(nativeBinding('@tensorflow/tfjs-node'));

describe.runIf(built)('BatchNorm on the native backend', () => {
  beforeAll(async () => {
    await selectBackend({ backend: 'node', log: () => {} });
  });

  it('is one TensorFlow op each way, with the formula\'s values and gradients, and leaks nothing', async () => {
    const x = tf.randomNormal([8, 6, 6, 5], 1.5, 2, 'float32', 7);
    const weights = { 'bn.weight': tf.tensor1d([0.5, 1, 1.5, 2, -1]), 'bn.bias': tf.tensor1d([0.1, -0.2, 0.3, 0, 1]), 'bn.runningMean': tf.zeros([5]), 'bn.runningVar': tf.ones([5]) };
    const upstream = tf.randomNormal(x.shape, 0, 1, 'float32', 8);
    const before = tf.memory().numTensors;
    const ours = (v: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => batchNorm('bn', v, { ...weights, 'bn.weight': a, 'bn.bias': b }, { normalization: 'batch' });
    const formula = (v: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(v, [0, 1, 2]);
      return tf.add(tf.mul(tf.div(tf.sub(v, mean), tf.sqrt(tf.add(variance, 1e-5))), a), b);
    };
    const profile = await tf.profile(() => tf.tidy(() => ours(x, weights['bn.weight'], weights['bn.bias'])));
    expect(profile.kernels.map((k) => k.name).filter((n) => n !== 'unnamed scope')).toEqual(['ModelsFusedBatchNormTraining']); // 'unnamed scope': the customGrad around it
    tf.dispose(profile.result as tf.Tensor);
    const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
    tf.tidy(() => {
      expect(maxDiff(ours(x, weights['bn.weight'], weights['bn.bias']), formula(x, weights['bn.weight'], weights['bn.bias']))).toBeLessThan(1e-5);
      const [g, h] = [ours, formula].map((f) => tf.grads((v: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => f(v, a, b))([x, weights['bn.weight'], weights['bn.bias']], upstream));
      for (let k = 0; k < 3; k++) expect(maxDiff(g![k]!, h![k]!), ['dx', 'dscale', 'doffset'][k]).toBeLessThan(1e-4);
    });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, upstream, ...Object.values(weights)]);
  });
});
