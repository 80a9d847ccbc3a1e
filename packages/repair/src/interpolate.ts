import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from './errors';
import type { WeightMap } from './model';

/**
 * θ_α = (1 − α)·θ_A + α·θ_B for every tensor of the two maps, BN running
 * statistics included (docs/papers.md §3.4). B must already be aligned to A. The caller
 * owns the new tensors.
 */
export function interpolateWeights(a: WeightMap, b: WeightMap, alpha: number): Record<string, tf.Tensor> {
  if (!(alpha >= 0 && alpha <= 1)) throw new InvalidArgumentError('alpha', `interpolateWeights: alpha must be in [0, 1], not ${alpha}.`);
  const names = Object.keys(a);
  const missing = names.filter((n) => !b[n]).concat(Object.keys(b).filter((n) => !a[n]));
  if (missing.length) throw new InvalidArgumentError('weights', `interpolateWeights: the maps differ in ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}.`);
  return tf.tidy(() => {
    const out: Record<string, tf.Tensor> = {};
    for (const name of names) {
      const [wa, wb] = [a[name]!, b[name]!];
      if (wa.shape.join() !== wb.shape.join()) throw new InvalidArgumentError('weights', `interpolateWeights: '${name}' is [${wa.shape.join(', ')}] in A and [${wb.shape.join(', ')}] in B.`);
      out[name] = tf.keep(alpha === 0 ? tf.clone(wa) : alpha === 1 ? tf.clone(wb) : tf.add(tf.mul(wa, 1 - alpha), tf.mul(wb, alpha)));
    }
    return out;
  });
}
