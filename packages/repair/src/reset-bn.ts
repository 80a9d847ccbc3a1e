import * as tf from '@tensorflow/tfjs-core';
import type { RepairModel, WeightMap } from './model';
import { measureSites } from './statistics';

/**
 * "Reset BN" (docs/papers.md §3.4): recompute every BatchNorm's running statistics of
 * `weights` as the exact average over one pass of `batches` (training images),
 * with the network in train mode (each BN normalising with its batch's
 * statistics, as PyTorch's momentum=None pass does), and return the weights with
 * the new buffers (the caller owns the new buffer tensors; the others are the
 * same tensors as in `weights`). For BN networks this is REPAIR.
 */
export async function resetBatchNorm(model: RepairModel, weights: WeightMap, batches: Iterable<tf.Tensor> | AsyncIterable<tf.Tensor>): Promise<Record<string, tf.Tensor>> {
  const norms = model.norms ?? [];
  const stats = await measureSites(model, weights, batches, norms.map((n) => n.input), 'batch');
  const out: Record<string, tf.Tensor> = { ...weights };
  for (const norm of norms) {
    const s = stats[norm.input]!;
    out[norm.mean] = tf.tensor1d(Float32Array.from(s.mean));
    out[norm.variance] = tf.tensor1d(Float32Array.from(s.variance));
  }
  return out;
}
