import * as tf from '@tensorflow/tfjs-core';
import type { Precision } from './config';
import { batchNormTraining, batchNormTrainingGrads, conv2d, conv2dBackpropFilter, conv2dBackpropInput, geluWithSlope, hasKernel, maxPoolGrad } from './fused-ops';

// ---------------------------------------------------------------------------
// conv → [max-pool] → BatchNorm → GELU as one node on the gradient tape
// ---------------------------------------------------------------------------
//
// Why: tfjs's backward pass keeps the gradient of every intermediate tensor
// until the whole backward pass ends (and autodiff saves each op's inputs). For
// airbench94 at batch 1024 that is ~5 GB of live tensors in one step. As one
// node, a stage saves only what its backward needs (its input, the conv's and
// the pool's outputs, GELU's slope) and frees its inner gradients as soon as
// they are used: only the gradient of the stage's input outlives it.
//
// The maths is the composite's, op for op (network.ts runs the composite when a
// pass records or edits activations). Gradients are per input and lazy, as
// tfjs's own kernels are: a step that needs no gradient for the stage's input
// (the first stage while the whitening bias is frozen) does not compute it.
// tf.customGrad cannot do either (it computes every input's gradient eagerly
// and returns one tensor), so this uses the engine's runKernelFunc, which
// customGrad is built on (public in tfjs-core's JavaScript, private in its typings).

export interface ConvStageOptions {
  /** 2×2 max-pool between the conv and the norm (the first conv of a group). */
  pool: boolean;
  precision: Precision;
  /** BatchNorm's ε. */
  epsilon: number;
}

export interface ConvStageResult {
  /** gelu(batchNorm(pool(conv(x)))). */
  y: tf.Tensor4D;
  /** The BatchNorm's batch mean and biased variance, for the running statistics. */
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

type Saved = [convIn: tf.Tensor, filter: tf.Tensor4D, convOut: tf.Tensor, normIn: tf.Tensor4D, mean: tf.Tensor1D, variance: tf.Tensor1D, slope: tf.Tensor4D];

interface KernelFuncEngine {
  runKernelFunc(params: {
    forwardFunc: (backend: unknown, save: (tensors: tf.Tensor[]) => void) => tf.Tensor[];
    backwardsFunc: (dys: tf.Tensor[], saved: tf.Tensor[]) => Record<string, () => tf.Tensor>;
    inputs: Record<string, tf.Tensor>;
  }): tf.Tensor[];
}

/** True when this tfjs-core's engine can run a stage as one tape node (every 4.x can). */
export function canRunConvStage(): boolean {
  return typeof (tf.engine() as unknown as Partial<KernelFuncEngine>).runKernelFunc === 'function';
}

/**
 * A 3×3 "same" conv (no bias) → optional 2×2 max-pool → training-mode BatchNorm
 * (scale 1, `offset`) → exact GELU, recorded as one tape node. Check `canRunConvStage()` first.
 */
export function convStage(x: tf.Tensor4D, filter: tf.Tensor4D, offset: tf.Tensor1D, options: ConvStageOptions): ConvStageResult {
  const { pool, precision, epsilon } = options;
  // bf16 on a backend that holds bf16 activations (native/packed.ts: as int32 pairs, so channels must be even).
  const packed = precision === 'bf16' && x.shape[3] % 2 === 0 && filter.shape[3] % 2 === 0 && hasKernel('AirbenchPackBf16');
  const conv = packed ? packedBf16Conv(x.shape, filter.shape, pool) : floatConv(x.shape, filter.shape, pool, precision);
  const engine = tf.engine() as unknown as KernelFuncEngine;
  const [y, mean, variance] = engine.runKernelFunc({
    inputs: { x, filter, offset },
    forwardFunc: (_backend, save) => {
      const { convIn, convOut, normIn } = conv.forward(x, filter);
      const norm = batchNormTraining(normIn, offset, epsilon);
      const { y: out, slope } = geluWithSlope(norm.y);
      save([convIn, filter, convOut, normIn, norm.mean, norm.variance, slope]);
      return [out, norm.mean, norm.variance];
    },
    backwardsFunc: (dys, saved) => {
      const [convIn, weights, convOut, normIn, batchMean, batchVariance, slope] = saved as Saved;
      // The gradient at the conv's output and the offset's; everything between is freed here.
      const [dConvOut, dOffset] = tf.tidy(() => {
        const [dNormIn, dOffset] = batchNormTrainingGrads(tf.mul(dys[0]!, slope) as tf.Tensor4D, normIn, batchMean, batchVariance, epsilon);
        return [conv.convOutGrad(dNormIn, convOut, normIn), dOffset];
      });
      // tfjs calls these in the inputs' order (x, filter, offset), each in its own tidy; the
      // filter's is always wanted in training, so it frees the conv output's gradient.
      return {
        x: () => conv.inputGrad(dConvOut, weights),
        filter: () => {
          const dFilter = conv.filterGrad(convIn, dConvOut);
          dConvOut.dispose();
          return dFilter;
        },
        offset: () => dOffset,
      };
    },
  });
  return { y: y as tf.Tensor4D, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}

type Shape4 = [number, number, number, number];

/** The conv and pool half of a stage: what it keeps for the backward pass, and its gradients. */
interface StageConv {
  /** convIn: the conv's input as kept; convOut: its output as kept (the pool's input); normIn: what the norm gets. */
  forward(x: tf.Tensor4D, filter: tf.Tensor4D): { convIn: tf.Tensor; convOut: tf.Tensor; normIn: tf.Tensor4D };
  /** The gradient at the conv's output, from the norm input's. */
  convOutGrad(dNormIn: tf.Tensor4D, convOut: tf.Tensor, normIn: tf.Tensor4D): tf.Tensor;
  inputGrad(dConvOut: tf.Tensor, filter: tf.Tensor4D): tf.Tensor4D;
  filterGrad(convIn: tf.Tensor, dConvOut: tf.Tensor): tf.Tensor4D;
}

/** float32 tensors throughout (the convolutions themselves in bf16 where `precision` asks and the backend can). */
function floatConv(xShape: Shape4, filterShape: Shape4, pool: boolean, precision: Precision): StageConv {
  return {
    forward: (x, filter) => {
      const convOut = conv2d(x, filter, 'same', precision);
      return { convIn: x, convOut, normIn: pool ? tf.maxPool(convOut, 2, 2, 'valid') : convOut };
    },
    convOutGrad: (dNormIn, convOut, normIn) => (pool ? maxPoolGrad(dNormIn, convOut as tf.Tensor4D, normIn) : dNormIn),
    inputGrad: (dConvOut, filter) => conv2dBackpropInput(dConvOut as tf.Tensor4D, filter, xShape, 'same', precision),
    filterGrad: (convIn, dConvOut) => conv2dBackpropFilter(convIn as tf.Tensor4D, dConvOut as tf.Tensor4D, filterShape, 'same', precision),
  };
}

/**
 * bf16 on the native backend: the conv's input, its output and the output's gradient stay bf16
 * ("packed", native/packed.ts), each cast once; the pool runs on the bf16 output (the same values
 * as pooling its float32 copy). The same maths as `floatConv` in bf16, with fewer casts and half the memory.
 */
function packedBf16Conv(xShape: Shape4, filterShape: Shape4, pool: boolean): StageConv {
  const run = (kernel: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown> = {}) =>
    tf.engine().runKernel(kernel, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
  return {
    forward: (x, filter) => {
      const convIn = run('AirbenchPackBf16', { x });
      const convOut = run('AirbenchConv2DBf16Packed', { x: convIn, filter }, { padding: 'SAME' });
      const normIn = run(pool ? 'AirbenchMaxPoolBf16Packed' : 'AirbenchUnpackBf16', { x: convOut }) as tf.Tensor4D;
      // Without a pool the norm's input is the conv output itself: keep the float32 copy only.
      return { convIn, convOut: pool ? convOut : normIn, normIn };
    },
    convOutGrad: (dNormIn, convOut) => (pool ? run('AirbenchMaxPoolGradBf16Packed', { dy: dNormIn, input: convOut }) : run('AirbenchPackBf16', { x: dNormIn })),
    inputGrad: (dConvOut, filter) => run('AirbenchConv2DBf16PackedBackpropInput', { dy: dConvOut, filter }, { padding: 'SAME', inputShape: xShape }) as tf.Tensor4D,
    filterGrad: (convIn, dConvOut) => run('AirbenchConv2DBf16PackedBackpropFilter', { x: convIn, dy: dConvOut }, { padding: 'SAME', filterShape }) as tf.Tensor4D,
  };
}
