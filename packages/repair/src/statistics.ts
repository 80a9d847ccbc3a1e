import * as tf from '@tensorflow/tfjs-core';
import type { ForwardOptions, RepairModel, WeightMap } from './model';

/** Per-channel statistics of one site over a pass: the average of per-batch means and of per-batch unbiased variances. */
export interface SiteStatistics {
  mean: Float64Array;
  variance: Float64Array;
  batches: number;
}

/** Streams per-channel batch statistics of activations (NHWC or [rows, C]; every position a row), each batch counting equally. */
export class ChannelStatistics {
  private sumMean: Float64Array | null = null;
  private sumVariance: Float64Array | null = null;
  private batches = 0;

  /** Adds a batch; returns its mean and (biased) variance tensors for a caller that also normalises with them. */
  add(x: tf.Tensor): { mean: tf.Tensor; variance: tf.Tensor } {
    const c = x.shape[x.shape.length - 1]!;
    const rows = x.size / c;
    const moments = tf.moments(x, x.shape.map((_, k) => k).slice(0, -1));
    const mean = moments.mean.dataSync();
    const variance = moments.variance.dataSync();
    this.sumMean ??= new Float64Array(c);
    this.sumVariance ??= new Float64Array(c);
    const unbiased = rows / Math.max(rows - 1, 1);
    for (let i = 0; i < c; i++) {
      this.sumMean[i]! += mean[i]!;
      this.sumVariance[i]! += variance[i]! * unbiased;
    }
    this.batches += 1;
    return moments;
  }

  result(): SiteStatistics {
    const k = this.batches;
    return { mean: this.sumMean!.map((v) => v / k), variance: this.sumVariance!.map((v) => v / k), batches: k };
  }
}

/**
 * One pass of `batches` through the model, recording the statistics at every
 * named site (and passing activations on unchanged, or as `transform` returns).
 */
export async function measureSites(
  model: RepairModel,
  weights: WeightMap,
  batches: Iterable<tf.Tensor> | AsyncIterable<tf.Tensor>,
  sites: readonly string[],
  normalization: ForwardOptions['normalization'],
  transform?: (site: string, x: tf.Tensor, stats: ChannelStatistics) => tf.Tensor,
): Promise<Record<string, SiteStatistics>> {
  const wanted = new Set(sites);
  const stats = new Map<string, ChannelStatistics>(sites.map((s) => [s, new ChannelStatistics()]));
  for await (const inputs of batches) {
    tf.tidy(() => {
      model.forward(weights, inputs, {
        normalization,
        at: (site, x) => {
          if (!wanted.has(site)) return x;
          const s = stats.get(site)!;
          if (transform) return transform(site, x, s);
          s.add(x);
          return x;
        },
      });
    });
    inputs.dispose();
  }
  return Object.fromEntries([...stats].map(([site, s]) => [site, s.result()]));
}
