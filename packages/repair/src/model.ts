import type * as tf from '@tensorflow/tfjs-core';

// ---------------------------------------------------------------------------
// What repair needs of a model, and nothing more (the example implements it for
// each architecture; this package imports no model package).
// ---------------------------------------------------------------------------

/** Weights and buffers by name: every tensor a state dict holds, BN running statistics included. */
export type WeightMap = Readonly<Record<string, tf.Tensor>>;

/**
 * A place in the network whose channels REPAIR corrects: the output of a conv
 * or dense layer (its preactivation), produced by `weight` (output channels on
 * `axis`) and `bias` (optional; a correction then adds one).
 */
export interface CorrectionSite {
  name: string;
  weight: string;
  bias?: string;
  axis: number;
}

/** A BatchNorm whose running statistics BN reset recomputes: its buffers, and the site name of its input. */
export interface NormLayer {
  input: string;
  mean: string;
  variance: string;
}

export interface ForwardOptions {
  /**
   * 'running': BatchNorm uses its running statistics (eval mode). 'batch': it
   * normalises with the batch's own statistics (train mode) and updates nothing.
   */
  normalization: 'running' | 'batch';
  /**
   * Called with every correction site's and every norm layer's input activation
   * (NHWC or [rows, C]); the forward pass continues with what it returns. Repair
   * uses it to measure statistics (returning x) and to apply corrections.
   */
  at?: (site: string, x: tf.Tensor) => tf.Tensor;
}

export interface RepairModel {
  /** Logits of a batch under these weights. Called inside tf.tidy. */
  forward(weights: WeightMap, inputs: tf.Tensor, options: ForwardOptions): tf.Tensor;
  sites: CorrectionSite[];
  norms?: NormLayer[];
}
