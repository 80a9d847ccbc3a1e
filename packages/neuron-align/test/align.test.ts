import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkEquivalence, CorrelationStatistics, identityPermutations, permuteWeights, SpecError, solveAssignment, validateSpec, weightMatching, type PermutationSpec } from '../src/index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A seeded uniform in [0, 1). */
function uniforms(seed: number) {
  let s = seed >>> 0 || 1;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

// An MLP 6 → 5 → 4 → 3 with ReLU, dense kernels [in, out]: the spec of docs/papers.md §3.3's MLP.
const shapes = { 'fc1.weight': [6, 5], 'fc1.bias': [5], 'fc2.weight': [5, 4], 'fc2.bias': [4], 'head.weight': [4, 3] } as const;
const spec: PermutationSpec = {
  groups: {
    h1: { size: 5, activation: 'fc1', axes: [{ parameter: 'fc1.weight', axis: 1 }, { parameter: 'fc1.bias', axis: 0 }, { parameter: 'fc2.weight', axis: 0 }] },
    h2: { size: 4, activation: 'fc2', axes: [{ parameter: 'fc2.weight', axis: 1 }, { parameter: 'fc2.bias', axis: 0 }, { parameter: 'head.weight', axis: 0 }] },
  },
};
const forward = (w: Readonly<Record<string, tf.Tensor>>, x: tf.Tensor) => {
  const h1 = tf.relu(tf.add(tf.matMul(x as tf.Tensor2D, w['fc1.weight'] as tf.Tensor2D), w['fc1.bias']!));
  const h2 = tf.relu(tf.add(tf.matMul(h1, w['fc2.weight'] as tf.Tensor2D), w['fc2.bias']!));
  return tf.matMul(h2, w['head.weight'] as tf.Tensor2D);
};

describe('validateSpec', () => {
  it('accepts a right spec and lists what no group touches', () => {
    expect(validateSpec(spec, shapes)).toEqual({ untouched: [] });
    expect(validateSpec({ groups: { h1: spec.groups.h1! } }, shapes).untouched).toEqual(['fc2.bias', 'head.weight']);
  });

  it.each([
    [{ groups: { h1: { ...spec.groups.h1!, axes: [{ parameter: 'fc1.weight', axis: 0 }] } } }, 'fc1.weight', 0, /has 5 channels, but axis 0 of 'fc1\.weight' \(shape \[6, 5\]\) has 6.*HWIO/],
    [{ groups: { h1: { ...spec.groups.h1!, axes: [{ parameter: 'fc9.weight', axis: 1 }] } } }, 'fc9.weight', 1, /names parameter 'fc9\.weight', which the weights do not have/],
    [{ groups: { h1: { ...spec.groups.h1!, axes: [{ parameter: 'fc1.bias', axis: 1 }] } } }, 'fc1.bias', 1, /'fc1\.bias' has shape \[5\], no axis 1/],
    [{ groups: { h1: { ...spec.groups.h1!, axes: [{ parameter: 'fc1.bias', axis: 0 }, { parameter: 'fc1.bias', axis: 0 }] } } }, 'fc1.bias', 0, /listed twice in group 'h1'/],
  ])('refuses a wrong spec, naming the parameter and axis (%#)', (wrong, parameter, axis, message) => {
    let error: unknown;
    try {
      validateSpec(wrong as PermutationSpec, shapes);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SpecError);
    expect(error).toMatchObject({ parameter, axis });
    expect((error as Error).message).toMatch(message);
  });
});

describe('solveAssignment', () => {
  const permutations = (n: number): number[][] => (n === 0 ? [[]] : permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, k) => [...p.slice(0, k), n - 1, ...p.slice(k)])));

  it('finds the maximum of Σ R[i, π(i)] found by brute force over all permutations', () => {
    const u = uniforms(3);
    for (const n of [1, 2, 3, 5, 6]) {
      for (let trial = 0; trial < 5; trial++) {
        const scores = Float64Array.from({ length: n * n }, () => u() * 2 - 1);
        const total = (p: ArrayLike<number>) => Array.from(p).reduce((s, j, i) => s + scores[i * n + j]!, 0);
        const best = Math.max(...permutations(n).map(total));
        const perm = solveAssignment(scores, n);
        expect([...perm].sort()).toEqual(Array.from({ length: n }, (_, i) => i));
        expect(total(perm)).toBeCloseTo(best, 12);
        const greedy = solveAssignment(scores, n, 'greedy');
        expect([...greedy].sort()).toEqual(Array.from({ length: n }, (_, i) => i));
        expect(total(greedy)).toBeLessThanOrEqual(best + 1e-12);
      }
    }
  });

  it('recovers a hidden permutation from a noisy identity, and treats NaN as 0', () => {
    const n = 64;
    const hidden = Int32Array.from({ length: n }, (_, i) => (i * 37) % n);
    const u = uniforms(5);
    const scores = Float64Array.from({ length: n * n }, (_, k) => (hidden[Math.floor(k / n)] === k % n ? 0.9 : 0.3 * u()));
    scores[1] = NaN;
    expect(Array.from(solveAssignment(scores, n))).toEqual(Array.from(hidden));
  });
});

describe('CorrelationStatistics', () => {
  it('streams batches into the same correlations as a direct float64 computation', () => {
    const u = uniforms(7);
    const c = 4;
    const batches = [30, 50, 20].map((rows) => {
      const a = Float32Array.from({ length: rows * c }, () => u());
      // B's channel j is A's channel (j + 1) % c plus noise: strongly correlated off the diagonal.
      const b = Float32Array.from({ length: rows * c }, (_, k) => a[Math.floor(k / c) * c + ((k % c) + 1) % c]! * 2 + 0.1 * u());
      return { rows, a, b };
    });
    for (const variant of ['second-moment', 'batch-std'] as const) {
      const stats = new CorrelationStatistics(variant);
      for (const { rows, a, b } of batches) tf.tidy(() => stats.add(tf.tensor2d(a, [rows, c]), tf.tensor2d(b, [rows, c])));
      const result = stats.result();
      // Direct: per-batch moments in float64, each batch weighted equally.
      const direct = new Float64Array(c * c);
      const mA = new Float64Array(c), mB = new Float64Array(c), sA = new Float64Array(c), sB = new Float64Array(c), qA = new Float64Array(c), qB = new Float64Array(c);
      const cross = new Float64Array(c * c);
      for (const { rows, a, b } of batches) {
        for (let i = 0; i < c; i++) {
          let ma = 0, mb = 0, qa = 0, qb = 0;
          for (let r = 0; r < rows; r++) {
            ma += a[r * c + i]!; mb += b[r * c + i]!; qa += a[r * c + i]! ** 2; qb += b[r * c + i]! ** 2;
          }
          [ma, mb, qa, qb] = [ma / rows, mb / rows, qa / rows, qb / rows];
          mA[i]! += ma / 3; mB[i]! += mb / 3; qA[i]! += qa / 3; qB[i]! += qb / 3;
          sA[i]! += Math.sqrt(((qa - ma * ma) * rows) / (rows - 1)) / 3;
          sB[i]! += Math.sqrt(((qb - mb * mb) * rows) / (rows - 1)) / 3;
          for (let j = 0; j < c; j++) {
            let m = 0;
            for (let r = 0; r < rows; r++) m += a[r * c + i]! * b[r * c + j]!;
            cross[i * c + j]! += m / rows / 3;
          }
        }
      }
      const stdA = variant === 'batch-std' ? sA : qA.map((q, i) => Math.sqrt(q - mA[i]! ** 2));
      const stdB = variant === 'batch-std' ? sB : qB.map((q, i) => Math.sqrt(q - mB[i]! ** 2));
      for (let i = 0; i < c; i++) for (let j = 0; j < c; j++) direct[i * c + j] = (cross[i * c + j]! - mA[i]! * mB[j]!) / (stdA[i]! * stdB[j]! + 1e-4);
      result.correlation.forEach((r, k) => expect(r).toBeCloseTo(direct[k]!, 4));
      // The structure: A_i matches B_{i−1}.
      expect(Array.from(solveAssignment(result.correlation, c))).toEqual([3, 0, 1, 2]);
    }
  });

  it('refuses mismatched shapes', () => {
    const stats = new CorrelationStatistics();
    expect(() => tf.tidy(() => stats.add(tf.zeros([4, 3]), tf.zeros([4, 2])))).toThrow(/need the same shape/);
  });
});

describe('permuteWeights and checkEquivalence', () => {
  it('keeps the function with a right spec (float32 noise) and breaks it with a wrong one', () => {
    const u = uniforms(11);
    const weights = Object.fromEntries(Object.entries(shapes).map(([name, shape]) => [name, tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => u() - 0.5), [...shape])]));
    const x = tf.tensor2d(Float32Array.from({ length: 8 * 6 }, () => u() - 0.5), [8, 6]);
    const perms = { h1: Int32Array.from([3, 0, 4, 1, 2]), h2: Int32Array.from([2, 3, 1, 0]) };
    const permuted = permuteWeights(weights, spec, perms);
    const bias = weights['fc1.bias']!.dataSync();
    expect(Array.from(permuted['fc1.bias']!.dataSync())).toEqual([3, 0, 4, 1, 2].map((i) => bias[i]));
    const right = checkEquivalence(forward, weights, permuted, x);
    expect(right.maxAbsDifference).toBeLessThan(1e-6 * Math.max(1, right.maxAbsOutput));
    // Forgetting the consumer's input axis changes the function.
    const wrongSpec: PermutationSpec = { groups: { h1: { ...spec.groups.h1!, axes: spec.groups.h1!.axes.slice(0, 2) }, h2: spec.groups.h2! } };
    const broken = permuteWeights(weights, wrongSpec, perms);
    expect(checkEquivalence(forward, weights, broken, x).maxAbsDifference).toBeGreaterThan(1e-3);
    // The identity changes nothing.
    const same = permuteWeights(weights, spec, identityPermutations(spec));
    expect(checkEquivalence(forward, weights, same, x).maxAbsDifference).toBe(0);
    tf.dispose([...Object.values(weights), ...Object.values(permuted), ...Object.values(broken), ...Object.values(same), x]);
  });
});

describe('weightMatching', () => {
  it('recovers the permutation of a permuted copy exactly, with an objective that never falls', () => {
    const u = uniforms(13);
    const a = Object.fromEntries(Object.entries(shapes).map(([name, shape]) => [name, tf.tensor(Float32Array.from({ length: shape.reduce((x, y) => x * y, 1) }, () => u() - 0.5), [...shape])]));
    const hidden = { h1: Int32Array.from([2, 4, 0, 1, 3]), h2: Int32Array.from([1, 3, 2, 0]) };
    // B is A with its channels shuffled: B[π] = A, i.e. B = A permuted by the inverse.
    const inverse = (p: Int32Array) => { const q = new Int32Array(p.length); p.forEach((v, i) => (q[v] = i)); return q; };
    const b = permuteWeights(a, spec, { h1: inverse(hidden.h1), h2: inverse(hidden.h2) });
    const { permutations, trace } = weightMatching(spec, a, b, { seed: 1 });
    expect(Array.from(permutations.h1!)).toEqual(Array.from(hidden.h1));
    expect(Array.from(permutations.h2!)).toEqual(Array.from(hidden.h2));
    trace.forEach((value, i) => i > 0 && expect(value).toBeGreaterThanOrEqual(trace[i - 1]! - 1e-9));
    const aligned = permuteWeights(b, spec, permutations);
    for (const name of Object.keys(shapes)) expect(Array.from(aligned[name]!.dataSync())).toEqual(Array.from(a[name]!.dataSync()));
    tf.dispose([...Object.values(a), ...Object.values(b), ...Object.values(aligned)]);
  });
});
