import * as tf from '@tensorflow/tfjs-core';
import { solveAssignment } from './assign';
import { identityPermutations, type Permutations, type PermutationSpec } from './spec';

export interface WeightMatchingOptions {
  /** Sweeps over all groups at most. Default 100. */
  maxIterations?: number;
  /** Seeds the order the groups are visited in each sweep. Default 0. */
  seed?: number;
}

/**
 * Git Re-Basin's weight matching (Ainsworth et al. 2023), from the same spec as
 * activation matching: coordinate descent over the groups. For a group, with
 * every other group's permutation held fixed, maximise Σ_(param, axis) ⟨W_A, P·W_B⟩,
 * a linear assignment over the similarity Σ W_A[i, …]·W_B[j, …]; repeat in a seeded
 * order until a sweep improves nothing (by more than 1e-12). Returns the
 * permutations and the objective after each sweep.
 */
export function weightMatching(
  spec: PermutationSpec,
  a: Readonly<Record<string, tf.Tensor>>,
  b: Readonly<Record<string, tf.Tensor>>,
  options: WeightMatchingOptions = {},
): { permutations: Permutations; trace: number[] } {
  const { maxIterations = 100, seed = 0 } = options;
  const perms = identityPermutations(spec);
  const axesOf = new Map<string, { group: string; axis: number }[]>();
  for (const [group, g] of Object.entries(spec.groups)) for (const { parameter, axis } of g.axes) axesOf.set(parameter, [...(axesOf.get(parameter) ?? []), { group, axis }]);
  const names = Object.keys(spec.groups).sort();
  let state = seed >>> 0 || 0x9e3779b9;
  const random = (n: number) => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) % n);
  const trace: number[] = [];

  for (let iteration = 0; iteration < maxIterations; iteration++) {
    let improved = false;
    const order = [...names];
    for (let i = order.length - 1; i > 0; i--) {
      const j = random(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const name of order) {
      const { size, axes } = spec.groups[name]!;
      const similarity = tf.tidy(() => {
        let total = tf.zeros([size, size]);
        for (const { parameter, axis } of axes) {
          // B's weight with every other group's permutation applied, this axis left as it is.
          let wb = b[parameter]!;
          for (const other of axesOf.get(parameter)!) {
            if (other.axis !== axis) wb = tf.gather(wb, tf.tensor1d(perms[other.group]!, 'int32'), other.axis);
          }
          const flat = (w: tf.Tensor) => tf.reshape(tf.transpose(w, [axis, ...w.shape.map((_, k) => k).filter((k) => k !== axis)]), [size, -1]) as tf.Tensor2D;
          total = tf.add(total, tf.matMul(flat(a[parameter]!), flat(wb), false, true));
        }
        return total;
      });
      const scores = Float64Array.from(similarity.dataSync());
      similarity.dispose();
      const before = objective(scores, perms[name]!, size);
      const next = solveAssignment(scores, size);
      if (objective(scores, next, size) > before + 1e-12) {
        perms[name] = next;
        improved = true;
      }
    }
    trace.push(totalObjective(spec, a, b, perms));
    if (!improved) break;
  }
  return { permutations: perms, trace };
}

function objective(scores: Float64Array, perm: Int32Array, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += scores[i * n + perm[i]!]!;
  return sum;
}

/** Σ over the spec's parameters of ⟨W_A, permuted W_B⟩. */
function totalObjective(spec: PermutationSpec, a: Readonly<Record<string, tf.Tensor>>, b: Readonly<Record<string, tf.Tensor>>, perms: Permutations): number {
  return tf.tidy(() => {
    const params = new Set(Object.values(spec.groups).flatMap((g) => g.axes.map((x) => x.parameter)));
    let sum = 0;
    for (const parameter of params) {
      let wb = b[parameter]!;
      for (const [group, g] of Object.entries(spec.groups)) for (const { parameter: p, axis } of g.axes) if (p === parameter) wb = tf.gather(wb, tf.tensor1d(perms[group]!, 'int32'), axis);
      sum += tf.sum(tf.mul(a[parameter]!, wb)).dataSync()[0]!;
    }
    return sum;
  });
}
