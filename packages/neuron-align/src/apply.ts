import * as tf from '@tensorflow/tfjs-core';
import { SpecError } from './errors';
import type { Permutations, PermutationSpec } from './spec';

/**
 * B's weights with every group's permutation applied (new channel i takes old
 * channel perm[i], on every axis the group lists), by gather: a new map of new
 * tensors; parameters no group touches are cloned. The network's function is
 * unchanged (check it with `checkEquivalence`). The caller owns the result.
 */
export function permuteWeights(weights: Readonly<Record<string, tf.Tensor>>, spec: PermutationSpec, perms: Permutations): Record<string, tf.Tensor> {
  const byParameter = new Map<string, { axis: number; perm: Int32Array }[]>();
  for (const [name, group] of Object.entries(spec.groups)) {
    const perm = perms[name];
    if (!perm || perm.length !== group.size) throw new SpecError(name, null, `permuteWeights: no permutation of size ${group.size} for group '${name}'.`);
    for (const { parameter, axis } of group.axes) byParameter.set(parameter, [...(byParameter.get(parameter) ?? []), { axis, perm }]);
  }
  return tf.tidy(() => {
    const out: Record<string, tf.Tensor> = {};
    for (const [name, tensor] of Object.entries(weights)) {
      let value: tf.Tensor = tf.clone(tensor);
      for (const { axis, perm } of byParameter.get(name) ?? []) value = tf.gather(value, tf.tensor1d(perm, 'int32'), axis);
      out[name] = tf.keep(value);
    }
    return out;
  });
}

/**
 * Runs `forward` on the original and the permuted weights over the same inputs
 * and returns the largest absolute difference of the outputs: float32 noise
 * (around 1e-5 relative) when the spec is right, order 1 when it is not.
 */
export function checkEquivalence(
  forward: (weights: Readonly<Record<string, tf.Tensor>>, inputs: tf.Tensor) => tf.Tensor,
  original: Readonly<Record<string, tf.Tensor>>,
  permuted: Readonly<Record<string, tf.Tensor>>,
  inputs: tf.Tensor,
): { maxAbsDifference: number; maxAbsOutput: number } {
  return tf.tidy(() => {
    const a = forward(original, inputs);
    const b = forward(permuted, inputs);
    return { maxAbsDifference: tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!, maxAbsOutput: tf.max(tf.abs(a)).dataSync()[0]! };
  });
}
