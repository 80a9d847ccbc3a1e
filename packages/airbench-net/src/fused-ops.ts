import * as tf from '@tensorflow/tfjs-core';
import type { Precision } from './config';
import { isNativeBackend, registerNativeKernels } from './native/register';

// ---------------------------------------------------------------------------
// The training step's heavy ops, fused where the backend can
// ---------------------------------------------------------------------------
//
// Each op below is one tfjs kernel (with its gradient, one more) when the
// active backend registers it — native/register.ts does for 'tensorflow' — and
// the same maths in plain tfjs ops on every other backend. Both paths are
// tested against each other (test/fused-ops.test.ts). Fewer, larger kernels
// matter twice: on a CPU each chained op is another pass over a 60 MB
// activation, on a GPU another launch.

/** True when `kernelName` runs as one kernel on the active backend. */
export function hasKernel(kernelName: string): boolean {
  if (isNativeBackend()) registerNativeKernels();
  registerGradients();
  return tf.getKernel(kernelName, tf.getBackend()) !== undefined;
}

/**
 * 3×3 (or any) convolution, stride 1, NHWC/HWIO. `precision: 'bf16'` multiplies in
 * bfloat16 where the backend has the kernel, else computes in float32.
 */
export function conv2d(x: tf.Tensor4D, filter: tf.Tensor4D, padding: 'same' | 'valid', precision: Precision): tf.Tensor4D {
  if (precision === 'bf16' && hasKernel('AirbenchConv2DBf16')) {
    return tf.engine().runKernel('AirbenchConv2DBf16', { x, filter }, { padding: padding.toUpperCase() }) as tf.Tensor4D;
  }
  return tf.conv2d(x, filter, 1, padding);
}

/** The gradient of `conv2d` for its input x (of shape `inputShape`), from the output gradient dy. */
export function conv2dBackpropInput(dy: tf.Tensor4D, filter: tf.Tensor4D, inputShape: [number, number, number, number], padding: 'same' | 'valid', precision: Precision): tf.Tensor4D {
  if (precision === 'bf16' && hasKernel('AirbenchConv2DBf16BackpropInput')) {
    return tf.engine().runKernel('AirbenchConv2DBf16BackpropInput', { dy, filter }, { padding: padding.toUpperCase(), inputShape }) as tf.Tensor4D;
  }
  return tf.conv2dTranspose(dy, filter, inputShape, 1, padding);
}

/** The gradient of `conv2d` for its filter (of shape `filterShape`), from the output gradient dy. */
export function conv2dBackpropFilter(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number], padding: 'same' | 'valid', precision: Precision): tf.Tensor4D {
  if (precision === 'bf16' && hasKernel('AirbenchConv2DBf16BackpropFilter')) {
    return tf.engine().runKernel('AirbenchConv2DBf16BackpropFilter', { x, dy }, { padding: padding.toUpperCase(), filterShape }) as tf.Tensor4D;
  }
  // tfjs-core has no public op for it; its kernel, as tf.conv2d's own gradient runs it.
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: [1, 1], pad: padding, dataFormat: 'NHWC', filterShape }) as tf.Tensor4D;
}

/** The gradient of a 2×2, stride-2, VALID max-pool for its input: oneDNN's kernel where the backend has it, else tfjs's `MaxPoolGrad` (the same values). */
export function maxPoolGrad(dy: tf.Tensor4D, input: tf.Tensor4D, output: tf.Tensor4D): tf.Tensor4D {
  const kernel = hasKernel('AirbenchMaxPoolGrad') ? 'AirbenchMaxPoolGrad' : 'MaxPoolGrad';
  return tf.engine().runKernel(kernel, { dy, input, output }, { filterSize: 2, strides: 2, pad: 'valid' }) as tf.Tensor4D;
}

export interface BatchNormTrainingResult {
  y: tf.Tensor4D;
  /** Per-channel batch mean, [C]. */
  mean: tf.Tensor1D;
  /** Per-channel biased batch variance, [C] (what y was normalised with). */
  variance: tf.Tensor1D;
}

/**
 * Training-mode BatchNorm over N, H, W with the scale fixed at 1 (airbench's):
 * y = (x − mean) / sqrt(variance + ε) + offset. Gradients flow to x and offset
 * through y; `mean` and `variance` are for the running statistics and carry none.
 */
export function batchNormTraining(x: tf.Tensor4D, offset: tf.Tensor1D, epsilon: number): BatchNormTrainingResult {
  if (hasKernel('AirbenchBatchNormTraining')) {
    const [y, mean, variance] = tf.engine().runKernel('AirbenchBatchNormTraining', { x, offset }, { epsilon }) as tf.Tensor[];
    return { y: y as tf.Tensor4D, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  }
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  const y = tf.add(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon))), offset) as tf.Tensor4D;
  return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}

/**
 * [dx, doffset] of `batchNormTraining` in plain tfjs ops, from the saved batch statistics:
 * dx = (dy − mean(dy) − x̂·mean(dy·x̂)) / sqrt(variance + ε), doffset = Σ dy.
 */
export function batchNormTrainingGrad(dy: tf.Tensor4D, x: tf.Tensor4D, mean: tf.Tensor1D, variance: tf.Tensor1D, epsilon: number): [tf.Tensor4D, tf.Tensor1D] {
  return tf.tidy(() => {
    const inverseStd = tf.rsqrt(tf.add(variance, epsilon));
    const normalised = tf.mul(tf.sub(x, mean), inverseStd);
    const dOffset = tf.sum(dy, [0, 1, 2]) as tf.Tensor1D;
    const count = x.shape[0] * x.shape[1] * x.shape[2];
    const projection = tf.div(tf.sum(tf.mul(dy, normalised), [0, 1, 2]), count);
    const dx = tf.mul(tf.sub(tf.sub(dy, tf.div(dOffset, count)), tf.mul(normalised, projection)), inverseStd) as tf.Tensor4D;
    return [dx, dOffset];
  });
}

/** [dx, doffset] of `batchNormTraining`: one kernel where the backend has it, else `batchNormTrainingGrad`. */
export function batchNormTrainingGrads(dy: tf.Tensor4D, x: tf.Tensor4D, mean: tf.Tensor1D, variance: tf.Tensor1D, epsilon: number): [tf.Tensor4D, tf.Tensor1D] {
  if (hasKernel('AirbenchBatchNormTrainingGrad')) {
    return tf.engine().runKernel('AirbenchBatchNormTrainingGrad', { dy, x, mean, variance }, { epsilon }) as [tf.Tensor4D, tf.Tensor1D];
  }
  return batchNormTrainingGrad(dy, x, mean, variance, epsilon);
}

const SQRT_2PI_INVERSE = 1 / Math.sqrt(2 * Math.PI);

/**
 * Exact GELU, x·Φ(x) with Φ(x) = (1 + erf(x/√2))/2, as PyTorch's default; its
 * gradient Φ(x) + x·φ(x) written out (7 ops on the saved Φ rather than autodiff's ~10).
 */
export const gelu = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  if (hasKernel('AirbenchGelu')) {
    // One op (kernels/gelu.ts); the gradient, rarely wanted here (training uses geluTraining), from x.
    save([x]);
    return { value: tf.engine().runKernel('AirbenchGelu', { x }) as tf.Tensor, gradFunc: (dy: tf.Tensor, [input]: tf.Tensor[]) => tf.tidy(() => tf.mul(dy, geluWithSlope(input!).slope)) };
  }
  const cdf = tf.mul(tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1), 0.5);
  save([x, cdf]);
  return {
    value: tf.mul(x, cdf),
    gradFunc: (dy: tf.Tensor, [input, saved]: tf.Tensor[]) => {
      const density = tf.mul(tf.exp(tf.mul(tf.square(input!), -0.5)), SQRT_2PI_INVERSE);
      return tf.mul(dy, tf.add(saved!, tf.mul(input!, density)));
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;

/**
 * GELU and its slope Φ(x) + x·φ(x), for a training step that will need the gradient:
 * keeping the slope (one tensor) instead of x and Φ(x) (two) halves what GELU holds
 * for the backward pass, which is then one multiply.
 */
export function geluWithSlope(x: tf.Tensor): { y: tf.Tensor; slope: tf.Tensor } {
  if (hasKernel('AirbenchGeluWithSlope')) {
    // One op, one pass over x (kernels/gelu.ts), where the tfjs ops below make eleven.
    const [y, slope] = tf.engine().runKernel('AirbenchGeluWithSlope', { x }) as tf.Tensor[];
    return { y: y!, slope: slope! };
  }
  return tf.tidy(() => {
    const scaled = tf.mul(x, Math.SQRT1_2);
    const cdf = tf.mul(tf.add(tf.erf(scaled), 1), 0.5);
    // φ(x) = exp(−x²/2)/√(2π), with x²/2 = scaled².
    const density = tf.mul(tf.exp(tf.neg(tf.square(scaled))), SQRT_2PI_INVERSE);
    return { y: tf.mul(x, cdf), slope: tf.add(cdf, tf.mul(x, density)) };
  });
}

/** GELU for a training step: the same values as `gelu`, holding only its slope for the backward pass. */
export const geluTraining = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const { y, slope } = geluWithSlope(x);
  save([slope]);
  return { value: y, gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => tf.mul(dy, saved!) };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;

let gradientsRegistered = false;

function registerGradients(): void {
  if (gradientsRegistered) return;
  gradientsRegistered = true;
  tf.registerGradient({
    kernelName: 'AirbenchConv2DBf16',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const padding = (attrs as { padding: string }).padding.toLowerCase() as 'same' | 'valid';
      return {
        x: () => conv2dBackpropInput(dy as tf.Tensor4D, filter, x.shape, padding, 'bf16'),
        filter: () => conv2dBackpropFilter(x, dy as tf.Tensor4D, filter.shape, padding, 'bf16'),
      };
    },
  });
  tf.registerGradient({
    kernelName: 'AirbenchBatchNormTraining',
    inputsToSave: ['x'],
    outputsToSave: [false, true, true],
    gradFunc: (dys, saved, attrs) => {
      const dy = (dys as tf.Tensor[])[0] as tf.Tensor4D;
      const [x, mean, variance] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D];
      const epsilon = (attrs as { epsilon: number }).epsilon;
      // Both at once: tfjs runs each closure in its own tidy, which would free the other one.
      const [dx, dOffset] = batchNormTrainingGrads(dy, x, mean, variance, epsilon);
      return { x: () => dx!, offset: () => dOffset! };
    },
  });
}
