import * as tf from '@tensorflow/tfjs-core';
import type { ForwardOptions, WeightMap } from '@airbench-ts/repair';
import { fusedBatchNorm, hasFusedBatchNorm } from './native-batch-norm';

// Shared pieces of the example's models: seeded initialisation as PyTorch does
// it, and the two norms (tfjs layouts: NHWC activations, HWIO conv kernels).

let nextId = 0;

/** A named variable from a tensor (tfjs variable names must be unique in the process). */
export function variable(name: string, value: tf.Tensor, trainable = true): tf.Variable {
  nextId += 1;
  return tf.tidy(() => tf.variable(value, trainable, `repair-example/${name}/${nextId}`));
}

// tfjs's random ops treat a seed of 0 as "no seed" and draw from Math.random
// (tfjs-core's MPRandGauss and randomUniform: `seed ? seed : Math.random()`), so
// every seed is shifted by one before it reaches them.
const tfSeed = (seed: number) => seed + 1;

/** PyTorch's default for Linear and Conv2d biases (and weights): U(±1/√fan_in). Seeded (tfjs initializers ignore seeds, tfjs #7104). */
export function uniformFanIn(shape: number[], fanIn: number, seed: number): tf.Tensor {
  const bound = 1 / Math.sqrt(fanIn);
  return tf.randomUniform(shape, -bound, bound, 'float32', tfSeed(seed));
}

/**
 * Kaiming-normal, fan-in, ReLU gain: N(0, 2/fan_in): the ResNet20 recipe (docs/papers.md §3.8),
 * and the MLP's and VGG11's too: with PyTorch's default U(±1/√fan_in) each ReLU
 * layer keeps a sixth of the variance, and a 10-layer MLP stays at chance in a short run.
 */
export function kaimingNormal(shape: number[], fanIn: number, seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', tfSeed(seed));
}

/**
 * BatchNorm over N, H, W (or the rows of [N, C]) with affine `${name}.weight`, `${name}.bias`:
 * running statistics in 'running' mode, the batch's biased ones in 'batch' mode (nothing is updated).
 * Its input is reported to `at` as `${name}.input`.
 */
export function batchNorm(name: string, x: tf.Tensor, w: WeightMap, options: ForwardOptions, eps = 1e-5): tf.Tensor {
  const input = (options.at ?? ((_s, v) => v))(`${name}.input`, x);
  // Training on the native backend: one TensorFlow op each way (native-batch-norm.ts).
  if (options.normalization === 'batch' && input.rank === 4 && hasFusedBatchNorm()) return fusedBatchNorm(input, w[`${name}.weight`]!, w[`${name}.bias`]!, eps);
  const axes = input.shape.map((_, k) => k).slice(0, -1);
  const { mean, variance } = options.normalization === 'batch' ? tf.moments(input, axes) : { mean: w[`${name}.runningMean`]!, variance: w[`${name}.runningVar`]! };
  // Per channel first, then two passes over the activations (scale, shift) instead of four.
  const scale = tf.mul(tf.rsqrt(tf.add(variance, eps)), w[`${name}.weight`]!);
  return tf.add(tf.mul(input, scale), tf.sub(w[`${name}.bias`]!, tf.mul(mean, scale)));
}

/** ReLU whose gradient is one comparison and one multiply (tfjs's goes through Step: IsNan, Fill, Select). */
export const relu = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const y = tf.relu(x);
  save([y]);
  return { value: y, gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => tf.mul(dy as tf.Tensor, tf.cast(tf.greater(saved[0]!, 0), 'float32')) };
}) as (x: tf.Tensor) => tf.Tensor;

/** LayerNorm over the channels of each pixel ("LayerNorm2d", biased std) with per-channel affine. */
export function layerNorm(name: string, x: tf.Tensor, w: WeightMap, eps = 1e-5): tf.Tensor {
  const { mean, variance } = tf.moments(x, x.rank - 1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), w[`${name}.weight`]!), w[`${name}.bias`]!);
}

/** Adds `${site}.repairBias` when REPAIR gave a layer without a bias one. */
export function withRepairBias(site: string, x: tf.Tensor, w: WeightMap): tf.Tensor {
  const bias = w[`${site}.repairBias`];
  return bias ? tf.add(x, bias) : x;
}
