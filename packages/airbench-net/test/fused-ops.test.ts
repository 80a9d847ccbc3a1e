import * as tf from '@tensorflow/tfjs-core';
import type { Cifar10 } from '@airbench-ts/cifar-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchNormTraining, batchNormTrainingGrad, conv2d, gelu, geluTraining, geluWithSlope, maxPoolGrad } from '../src/fused-ops';
import { disposeModel, forward, makeConfig, makeNet, initWhitening } from '../src/index';
import { oneDnnComputesBf16, useFastestBackend } from './backend';
import { cifar10, whiteningImages } from './data';

// The fused kernels (native backend) against the same maths in plain tfjs ops, on
// activations of real CIFAR-10 images (the whitening conv's output of a real net).

let backend: string;
let set: Cifar10;
let activations: tf.Tensor4D;

function relativeError(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => Math.sqrt(tf.sum(tf.square(tf.sub(a, b))).dataSync()[0]! / tf.sum(tf.square(b)).dataSync()[0]!));
}

beforeAll(async () => {
  backend = await useFastestBackend();
  set = await cifar10();
  const config = makeConfig('airbench94', { widths: [16, 32, 32], whiteningImages: 512 });
  const model = makeNet(config, 3);
  const whitening = whiteningImages(set, 512);
  initWhitening(model, whitening);
  // 128 real images → the first conv group's input, [128, 31, 31, 24], scaled away from unit variance.
  activations = tf.tidy(() => tf.add(tf.mul(forward(model, tf.slice(whitening, 0, 128), { training: false, collect: true }).activations.whiten as tf.Tensor4D, 3), 0.5));
  whitening.dispose();
  disposeModel(model);
});

afterAll(() => activations.dispose());

describe('batchNormTraining', () => {
  it('normalises each channel to mean 0 and variance 1, plus the offset, and returns the biased batch statistics', () => {
    const offset = tf.linspace(-1, 1, 24) as tf.Tensor1D;
    const { y, mean, variance } = batchNormTraining(activations, offset, 1e-12);
    const expected = tf.moments(activations, [0, 1, 2]);
    expect(y.shape).toEqual([128, 31, 31, 24]);
    expect(relativeError(mean, expected.mean)).toBeLessThan(1e-5);
    expect(relativeError(variance, expected.variance)).toBeLessThan(1e-4); // float32 sums in another order
    const outMoments = tf.moments(y, [0, 1, 2]);
    expect(relativeError(outMoments.mean, offset)).toBeLessThan(1e-4);
    expect(Math.max(...(tf.abs(tf.sub(outMoments.variance, 1)).dataSync() as Float32Array))).toBeLessThan(1e-4);
    tf.dispose([offset, y, mean, variance, expected.mean, expected.variance, outMoments.mean, outMoments.variance]);
  });

  it(`its gradient equals autodiff of the written-out formula (backend under test: the fastest available)`, () => {
    const offset = tf.linspace(-1, 1, 24) as tf.Tensor1D;
    const weights = tf.randomNormal(activations.shape, 0, 1, 'float32', 5); // a loss that is not a plain sum
    const lossOf = (y: tf.Tensor) => tf.sum(tf.mul(tf.square(y), weights));
    const fused = tf.grads((x: tf.Tensor, o: tf.Tensor) => lossOf(batchNormTraining(x as tf.Tensor4D, o as tf.Tensor1D, 1e-5).y));
    const composite = tf.grads((x: tf.Tensor, o: tf.Tensor) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      return lossOf(tf.add(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), o));
    });
    const [dx, dOffset] = fused([activations, offset]);
    const [dxRef, dOffsetRef] = composite([activations, offset]);
    expect(relativeError(dx!, dxRef!)).toBeLessThan(1e-4);
    expect(relativeError(dOffset!, dOffsetRef!)).toBeLessThan(1e-5);
    // The portable gradient (what a backend without the kernel runs) agrees too.
    const { y, mean, variance } = batchNormTraining(activations, offset, 1e-5);
    const dy = tf.mul(tf.mul(y, weights), 2);
    const [dxPortable, dOffsetPortable] = batchNormTrainingGrad(dy as tf.Tensor4D, activations, mean, variance, 1e-5);
    expect(relativeError(dxPortable, dxRef!)).toBeLessThan(1e-4);
    expect(relativeError(dOffsetPortable, dOffsetRef!)).toBeLessThan(1e-5);
    tf.dispose([offset, weights, dx!, dOffset!, dxRef!, dOffsetRef!, y, mean, variance, dy, dxPortable, dOffsetPortable]);
  });
});

describe('gelu', () => {
  it('is 0.5·x·(1 + erf(x/√2)), with the gradient autodiff gives that formula', () => {
    const reference = (x: tf.Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
    const x = tf.slice(activations, [0, 0, 0, 0], [16, 31, 31, 24]);
    expect(relativeError(gelu(x), reference(x))).toBeLessThan(1e-6);
    const [a, b] = [tf.grad((v: tf.Tensor) => tf.sum(tf.mul(gelu(v), v)))(x), tf.grad((v: tf.Tensor) => tf.sum(tf.mul(reference(v), v)))(x)];
    expect(relativeError(a, b)).toBeLessThan(1e-5);
    expect(gelu(tf.tensor1d([-3, 0, 1])).arraySync()).toEqual([expect.closeTo(-0.00405, 5), 0, expect.closeTo(0.841345, 5)]);
    tf.dispose([x, a, b]);
  });

  it('geluTraining: the same values, and the gradient from the slope Φ(x) + x·φ(x) it keeps', () => {
    const x = tf.slice(activations, [0, 0, 0, 0], [16, 31, 31, 24]);
    expect(relativeError(geluTraining(x), gelu(x))).toBe(0);
    const [a, b] = [tf.grad((v: tf.Tensor) => tf.sum(tf.mul(geluTraining(v), v)))(x), tf.grad((v: tf.Tensor) => tf.sum(tf.mul(gelu(v), v)))(x)];
    expect(relativeError(a, b)).toBeLessThan(1e-6);
    // Φ(1) + φ(1) = 0.841345 + 0.241971; Φ(−3) − 3φ(−3) = 0.0013499 − 0.0132955; at 0: 1/2.
    expect(geluWithSlope(tf.tensor1d([1, -3, 0])).slope.arraySync()).toEqual([expect.closeTo(1.083316, 5), expect.closeTo(-0.0119456, 6), 0.5]);
    tf.dispose([x, a, b]);
  });
});

describe('maxPoolGrad', () => {
  it("equals tfjs's MaxPoolGrad exactly, ties included (oneDNN's kernel on the native backend)", () => {
    // Real activations (odd size: the pool drops the last row and column), and the same rounded
    // to multiples of 0.25 so that many windows have tied maxima (the first one gets the gradient).
    for (const input of [activations, tf.mul(tf.round(tf.mul(activations, 4)), 0.25) as tf.Tensor4D]) {
      const output = tf.maxPool(input, 2, 2, 'valid');
      const dy = tf.randomNormal(output.shape, 0, 1, 'float32', 6) as tf.Tensor4D;
      const reference = tf.engine().runKernel('MaxPoolGrad', { dy, input, output }, { filterSize: 2, strides: 2, pad: 'valid' }) as tf.Tensor;
      const dx = maxPoolGrad(dy, input, output);
      expect(dx.shape).toEqual([128, 31, 31, 24]);
      expect(tf.max(tf.abs(tf.sub(dx, reference))).dataSync()[0]).toBe(0);
      tf.dispose([output, dy, reference, dx, ...(input === activations ? [] : [input])]);
    }
    if (backend === 'tensorflow') expect(tf.getKernel('AirbenchMaxPoolGrad', 'tensorflow')).toBeDefined();
  });
});

describe('conv2d precision', () => {
  it('fp32 is tf.conv2d exactly', () => {
    const filter = tf.randomNormal([3, 3, 24, 16], 0, 0.1, 'float32', 2) as tf.Tensor4D;
    const [a, b] = [conv2d(activations, filter, 'same', 'fp32'), tf.conv2d(activations, filter, 1, 'same')];
    expect(relativeError(a, b)).toBe(0);
    tf.dispose([filter, a, b]);
  });

  it('bf16 on the native backend: within bf16 rounding of fp32 (forward and both gradients), but not equal to it', ({ skip }) => {
    if (backend !== 'tensorflow') skip(); // elsewhere bf16 computes in fp32 (the test above)
    const filter = tf.randomNormal([3, 3, 24, 16], 0, 0.1, 'float32', 2) as tf.Tensor4D;
    const lossWeights = tf.randomNormal([128, 31, 31, 16], 0, 1, 'float32', 4);
    const run = (precision: 'fp32' | 'bf16') => {
      const f = tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 'same', precision), lossWeights)));
      return [conv2d(activations, filter, 'same', precision), ...f([activations, filter])];
    };
    const [fp32, bf16] = [run('fp32'), run('bf16')];
    for (let i = 0; i < 3; i++) {
      const error = relativeError(bf16[i]!, fp32[i]!);
      expect(error).toBeGreaterThan(1e-5); // it did round to bf16 (8-bit mantissa, ~4e-3 per product)
      // oneDNN (AVX-512 CPUs) accumulates in fp32; TensorFlow's Eigen bf16 kernels (CPUs without AVX-512) round the
      // filter gradient's 123,008-term sums more: 0.0029 / 0.0069 / 0.0247 (forward, dx, dw) on an AVX2 EPYC.
      expect(error).toBeLessThan(oneDnnComputesBf16() || i < 2 ? 1e-2 : 5e-2);
    }
    tf.dispose([filter, lossWeights, ...fp32, ...bf16]);
  });
});
