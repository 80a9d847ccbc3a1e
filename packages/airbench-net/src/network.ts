import * as tf from '@tensorflow/tfjs-core';
import { validateConfig, type AirbenchConfig } from './config';
import { InvalidArgumentError } from './errors';
import { canRunConvStage, convStage } from './conv-stage';
import { batchNormTraining, conv2d, gelu as fusedGelu, geluTraining } from './fused-ops';
import { diracConvKernel, parameterGenerator, uniform } from './init';

// ---------------------------------------------------------------------------
// Network (docs/papers.md §1.2, §1.6): whitening conv → GELU → 3 conv groups → max-pool → linear → ×1/9
// ---------------------------------------------------------------------------

/** A network: its config and named variables (PyTorch-like names, NHWC/HWIO layouts). */
export interface AirbenchModel {
  config: AirbenchConfig;
  /**
   * Weights: `whiten.weight` (frozen), `whiten.bias`, `blockN.convK.weight`,
   * `blockN.normK.bias` (norm 'batch' and 'layer') or `blockN.convK.bias` ('none'), `head.weight`.
   */
  params: Record<string, tf.Variable>;
  /**
   * State that is not trained: BatchNorm running statistics `blockN.normK.runningMean`,
   * `blockN.normK.runningVar` ('batch'); the LayerNorm scale `blockN.normK.weight`, fixed at 1 ('layer').
   */
  buffers: Record<string, tf.Variable>;
}

/** A network's config and tensors, to run: a model, or any weight map of its shape (interpolated, permuted, repaired). */
export interface NetworkWeights {
  config: AirbenchConfig;
  params: Readonly<Record<string, tf.Tensor>>;
  buffers: Readonly<Record<string, tf.Tensor>>;
}

// tfjs variable names must be unique in the process.
let nextModelId = 0;

/** Names of the conv+BN pairs inside one group, by block kind. */
export function convsPerBlock(config: AirbenchConfig): number {
  return config.block === 'two-conv' ? 2 : 3;
}

/**
 * Builds a network with seeded PyTorch-default initialisation and dirac convs.
 * The whitening weight is a placeholder until `initWhitening` sets it from data.
 */
export function makeNet(config: AirbenchConfig, seed: number): AirbenchModel {
  validateConfig(config);
  nextModelId += 1;
  const params: Record<string, tf.Variable> = {};
  const buffers: Record<string, tf.Variable> = {};
  let index = 0;
  const variable = (name: string, values: Float32Array, shape: number[], trainable: boolean) =>
    // In a tidy, so the initial-value tensor is freed and only the variable stays.
    tf.tidy(() => tf.variable(tf.tensor(values, shape, 'float32'), trainable, `airbench/${name}/${nextModelId}`));

  const w0 = config.whiteningWidth;
  params['whiten.weight'] = variable('whiten.weight', diracConvKernel(2, 3, w0, parameterGenerator(seed, index++)), [2, 2, 3, w0], false);
  params['whiten.bias'] = variable('whiten.bias', new Float32Array(w0), [w0], true);
  let channelsIn = w0;
  config.widths.forEach((width, b) => {
    for (let k = 1; k <= convsPerBlock(config); k++) {
      const prefix = `block${b + 1}`;
      const cin = k === 1 ? channelsIn : width;
      const conv = `${prefix}.conv${k}`;
      const norm = `${prefix}.norm${k}`;
      params[`${conv}.weight`] = variable(`${conv}.weight`, diracConvKernel(3, cin, width, parameterGenerator(seed, index++)), [3, 3, cin, width], true);
      if (config.norm === 'none') {
        // No norm to shift the channels: the conv gets a bias, from 0.
        params[`${conv}.bias`] = variable(`${conv}.bias`, new Float32Array(width), [width], true);
        continue;
      }
      // BN and LN: scale γ fixed at 1 (BN: not stored; LN: a frozen buffer, so REPAIR can fold into it), shift β trainable from 0.
      params[`${norm}.bias`] = variable(`${norm}.bias`, new Float32Array(width), [width], true);
      if (config.norm === 'layer') {
        buffers[`${norm}.weight`] = variable(`${norm}.weight`, new Float32Array(width).fill(1), [width], false);
      } else {
        buffers[`${norm}.runningMean`] = variable(`${norm}.runningMean`, new Float32Array(width), [width], false);
        buffers[`${norm}.runningVar`] = variable(`${norm}.runningVar`, new Float32Array(width).fill(1), [width], false);
      }
    }
    channelsIn = width;
  });
  const last = config.widths[2];
  const head = uniform(last * config.classes, 1 / Math.sqrt(last), parameterGenerator(seed, index++));
  if (config.headStd !== undefined) rescaleToStd(head, config.headStd);
  params['head.weight'] = variable('head.weight', head, [last, config.classes], true);
  return { config, params, buffers };
}

/** Scales `values` in place to this (unbiased, as torch's `std`) standard deviation: airbench94_muon's `w *= 1 / w.std()`. */
function rescaleToStd(values: Float32Array, std: number): void {
  let mean = 0;
  for (const v of values) mean += v / values.length;
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  const scale = std / Math.sqrt(squares / (values.length - 1));
  for (let i = 0; i < values.length; i++) values[i]! *= scale;
}

/** Frees every variable of the model. */
export function disposeModel(model: AirbenchModel): void {
  tf.dispose([...Object.values(model.params), ...Object.values(model.buffers)]);
}

/** Exact GELU, 0.5·x·(1 + erf(x/√2)), as PyTorch's default (with a hand-written gradient, fused-ops.ts). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return fusedGelu(x);
}

export interface ForwardOptions {
  /**
   * true: BatchNorm normalises with batch statistics (biased variance) and, unless
   * `updateStatistics` is false, updates its running statistics (with the unbiased
   * variance, PyTorch's semantics). false: it uses the running statistics.
   * LayerNorm and 'none' behave the same either way.
   */
  training: boolean;
  /** With `training`: update the running statistics (default true; they must then be variables). */
  updateStatistics?: boolean;
  /** Also return every named activation (see `at`), by name. */
  collect?: boolean;
  /**
   * Called with each named activation; the pass continues with what it returns
   * (REPAIR measures and corrects channels through it). Names: `whiten` (the
   * whitening conv's output, before GELU), `blockN.convK` (a conv's output),
   * `blockN.normK.input` (what the norm sees: conv1's output is max-pooled first),
   * `blockN.normK` (the norm's output; the input itself with norm 'none'),
   * `blockN.out` (the block's output), `pool`.
   */
  at?: (name: string, x: tf.Tensor) => tf.Tensor;
}

export interface ForwardResult {
  /** [batch, classes], already multiplied by the logit scale. */
  logits: tf.Tensor2D;
  /** Present with `collect`: every name `at` sees. */
  activations: Record<string, tf.Tensor>;
}

/** Runs the network on a normalised NHWC batch. Call inside tf.tidy, or dispose the results. */
export function forward(model: NetworkWeights, inputs: tf.Tensor4D, options: ForwardOptions): ForwardResult {
  const { config, params, buffers } = model;
  const activations: Record<string, tf.Tensor> = {};
  const record = <T extends tf.Tensor>(name: string, value: T): T => {
    const out = (options.at ? options.at(name, value) : value) as T;
    if (options.collect) activations[name] = out;
    return out;
  };
  const update = options.training && options.updateStatistics !== false;

  const norm = (name: string, input: tf.Tensor4D): tf.Tensor4D => {
    const x = record(`${name}.input`, input);
    if (config.norm === 'none') return x;
    const bias = params[`${name}.bias`] as tf.Tensor1D;
    if (config.norm === 'layer') {
      // Over the channels of each pixel, biased variance; per-channel scale (fixed at 1) and shift.
      const { mean, variance } = tf.moments(x, 3, true);
      return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, config.layerNormEps))), buffers[`${name}.weight`]!), bias) as tf.Tensor4D;
    }
    const runningMean = buffers[`${name}.runningMean`]!;
    const runningVar = buffers[`${name}.runningVar`]!;
    if (!options.training) return tf.batchNorm(x, runningMean as tf.Tensor1D, runningVar as tf.Tensor1D, bias, undefined, config.batchNormEps);
    // One fused kernel where the backend has it (fused-ops.ts); γ is fixed at 1.
    const { y, mean, variance } = batchNormTraining(x, bias, config.batchNormEps);
    updateStatistics(name, x.shape[0] * x.shape[1] * x.shape[2], mean, variance);
    return y;
  };
  /** Running statistics from a batch's, over `count` values per channel. */
  const updateStatistics = (name: string, count: number, mean: tf.Tensor1D, variance: tf.Tensor1D): void => {
    if (!update) return;
    const runningMean = buffers[`${name}.runningMean`]!;
    const runningVar = buffers[`${name}.runningVar`]!;
    if (!(runningMean instanceof tf.Variable && runningVar instanceof tf.Variable)) {
      throw new InvalidArgumentError('updateStatistics', `forward: updating '${name}''s running statistics needs them as tf.Variables; pass updateStatistics: false to run a plain weight map in training mode.`);
    }
    // PyTorch updates the running variance with the unbiased batch variance.
    const m = config.batchNormMomentum;
    runningMean.assign(tf.add(tf.mul(runningMean, m), tf.mul(mean, 1 - m)));
    runningVar.assign(tf.add(tf.mul(runningVar, m), tf.mul(variance, ((1 - m) * count) / (count - 1))));
  };
  const conv = (name: string, x: tf.Tensor4D) => {
    const y = conv2d(x, params[`${name}.weight`] as tf.Tensor4D, 'same', config.precision);
    const bias = params[`${name}.bias`];
    return record(name, bias ? tf.add(y, bias) : y);
  };

  // A training pass that nobody watches runs each conv → [pool] → BN → GELU as one tape
  // node (conv-stage.ts: same maths, a fraction of the memory); any other pass, op by op.
  const staged = options.training && config.norm === 'batch' && !options.at && !options.collect && canRunConvStage();
  // gelu(norm(conv(x))), with the group's first conv max-pooled before its norm.
  const stage = (p: string, k: number, x: tf.Tensor4D): tf.Tensor4D => {
    const pool = k === 1;
    if (!staged) {
      const convOut = conv(`${p}.conv${k}`, x) as tf.Tensor4D;
      return gelu(record(`${p}.norm${k}`, norm(`${p}.norm${k}`, pool ? tf.maxPool(convOut, 2, 2, 'valid') : convOut))) as tf.Tensor4D;
    }
    const weight = params[`${p}.conv${k}.weight`] as tf.Tensor4D;
    const { y, mean, variance } = convStage(x, weight, params[`${p}.norm${k}.bias`] as tf.Tensor1D, { pool, precision: config.precision, epsilon: config.batchNormEps });
    updateStatistics(`${p}.norm${k}`, y.shape[0] * y.shape[1] * y.shape[2], mean, variance);
    return y;
  };

  let x = tf.add(conv2d(inputs, params['whiten.weight'] as tf.Tensor4D, 'valid', config.precision), params['whiten.bias']!) as tf.Tensor4D;
  x = (staged ? geluTraining : gelu)(record('whiten', x)) as tf.Tensor4D;
  config.widths.forEach((_, b) => {
    const p = `block${b + 1}`;
    x = stage(p, 1, x);
    const x0 = x;
    x = stage(p, 2, x);
    if (config.block === 'three-conv-residual') {
      // airbench96 (paper): conv → BN → GELU, then add the group's first activation.
      x = tf.add(stage(p, 3, x), x0) as tf.Tensor4D;
    } else if (config.block === 'three-conv-residual-legacy') {
      // legacy airbench96: conv → BN → add, then GELU.
      x = gelu(tf.add(record(`${p}.norm3`, norm(`${p}.norm3`, conv(`${p}.conv3`, x) as tf.Tensor4D)), x0)) as tf.Tensor4D;
    }
    x = record(`${p}.out`, x);
  });
  const pooled = record('pool', tf.reshape(tf.maxPool(x, 3, 3, 'valid'), [x.shape[0], -1]) as tf.Tensor2D);
  const logits = tf.mul(tf.matMul(pooled, params['head.weight'] as tf.Tensor2D), config.logitScale) as tf.Tensor2D;
  return { logits, activations };
}
