import * as tf from '@tensorflow/tfjs-core';
import type { Precision } from './config';
import { isNativeBackend, registerNativeKernels } from './native-kernels';

// ---------------------------------------------------------------------------
// The training step's heavy ops, fused where the backend can
// ---------------------------------------------------------------------------
//
// Each op below is one tfjs kernel (with its gradient, one more) when the
// active backend registers it — native-kernels.ts does for 'tensorflow' — and
// the same maths in plain tfjs ops on every other backend. Both paths are
// tested against each other (test/fused-ops.test.ts). Fewer, larger kernels
// matter twice: on a CPU each chained op is another pass over a 60 MB
// activation, on a GPU another launch.

/** True when `kernelName` runs as one kernel on the active backend. */
function hasKernel(kernelName: string): boolean {
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

const SQRT_2PI_INVERSE = 1 / Math.sqrt(2 * Math.PI);

/**
 * Exact GELU, x·Φ(x) with Φ(x) = (1 + erf(x/√2))/2, as PyTorch's default; its
 * gradient Φ(x) + x·φ(x) written out (7 ops on the saved Φ rather than autodiff's ~10).
 */
export const gelu = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
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

let gradientsRegistered = false;

function registerGradients(): void {
  if (gradientsRegistered) return;
  gradientsRegistered = true;
  tf.registerGradient({
    kernelName: 'AirbenchConv2DBf16',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved;
      // One kernel gives both gradients (one bf16 cast of dy). Computed here, not in the
      // closures: tfjs runs each closure in its own tidy, which would free the other one.
      const [dx, dFilter] = tf.engine().runKernel('AirbenchConv2DBf16Grad', { dy: dy as tf.Tensor, x: x!, filter: filter! }, attrs) as tf.Tensor[];
      return { x: () => dx!, filter: () => dFilter! };
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
      // Both at once, as above.
      const [dx, dOffset] = tf.getKernel('AirbenchBatchNormTrainingGrad', tf.getBackend())
        ? (tf.engine().runKernel('AirbenchBatchNormTrainingGrad', { dy, x, mean, variance }, { epsilon }) as tf.Tensor[])
        : batchNormTrainingGrad(dy, x, mean, variance, epsilon);
      return { x: () => dx!, offset: () => dOffset! };
    },
  });
}
