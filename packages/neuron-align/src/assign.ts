import { munkres } from 'munkres';
import { InvalidArgumentError } from './errors';

/**
 * The permutation that maximises Σ_i R[i, π(i)] for a square n×n score matrix
 * (row-major): π[i] is the column matched to row i. `optimal` solves the linear
 * assignment problem exactly (Hungarian algorithm, the maintained `munkres`
 * package); `greedy` takes pairs in descending score while both ends are free
 * (the variant some REPAIR notebooks use). NaN scores (dead channels) count as 0.
 */
export function solveAssignment(scores: ArrayLike<number>, n: number, method: 'optimal' | 'greedy' = 'optimal'): Int32Array {
  if (!Number.isSafeInteger(n) || n < 1 || scores.length !== n * n) {
    throw new InvalidArgumentError('scores', `solveAssignment: expected ${n}×${n} = ${n * n} scores, got ${scores.length}.`);
  }
  const at = (i: number, j: number) => {
    const v = scores[i * n + j]!;
    return Number.isNaN(v) ? 0 : v;
  };
  const perm = new Int32Array(n).fill(-1);
  if (method === 'greedy') {
    const order = Array.from({ length: n * n }, (_, k) => k).sort((a, b) => at(Math.floor(b / n), b % n) - at(Math.floor(a / n), a % n));
    const usedColumn = new Uint8Array(n);
    let left = n;
    for (const k of order) {
      const [i, j] = [Math.floor(k / n), k % n];
      if (perm[i] !== -1 || usedColumn[j]) continue;
      perm[i] = j;
      usedColumn[j] = 1;
      if (--left === 0) break;
    }
    return perm;
  }
  // munkres minimises: cost = max − score keeps every cost ≥ 0.
  let max = -Infinity;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) max = Math.max(max, at(i, j));
  const cost = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => max - at(i, j)));
  for (const [i, j] of munkres(cost)) perm[i] = j;
  return perm;
}
