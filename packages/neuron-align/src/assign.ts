import { InvalidArgumentError } from './errors';

/**
 * The permutation that maximises Σ_i R[i, π(i)] for a square n×n score matrix
 * (row-major): π[i] is the column matched to row i. `optimal` solves the linear
 * assignment problem exactly by shortest augmenting paths (`shortestAugmentingPaths`
 * below); `greedy` takes pairs in descending score while both ends are free (the
 * variant some REPAIR notebooks use). NaN scores (dead channels) count as 0.
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
  const cost = new Float64Array(n * n);
  for (let k = 0; k < n * n; k++) {
    const value = scores[k]!;
    cost[k] = Number.isNaN(value) ? 0 : -value;
  }
  return shortestAugmentingPaths(cost, n);
}

/**
 * Minimum-cost perfect matching of a dense n×n cost matrix: the Hungarian method
 * in its shortest-augmenting-path form (Jonker–Volgenant family, as SciPy's
 * linear_sum_assignment), O(n³) worst case, on typed arrays. Written here rather
 * than taken from npm: the `munkres` package took 5–9× SciPy's time on
 * correlation-like 512–2048 matrices; this, with the column reduction below,
 * takes 0.8–1.2× (bench:align).
 * Row i is added one at a time; a Dijkstra-like scan over the columns with dual
 * potentials u (rows), v (columns) finds the cheapest augmenting path, then the
 * matching flips along it. Returns perm[row] = column.
 */
function shortestAugmentingPaths(cost: Float64Array, n: number): Int32Array {
  // 1-based, with row/column 0 as the virtual start of each search.
  const u = new Float64Array(n + 1);
  const v = new Float64Array(n + 1);
  const rowOf = new Int32Array(n + 1); // rowOf[j]: the row matched to column j (0: none)
  const way = new Int32Array(n + 1); // the previous column on the shortest path
  const minv = new Float64Array(n + 1);
  const used = new Uint8Array(n + 1);
  // Column reduction (the first step of Jonker–Volgenant's initialisation): v[j] = min over rows of
  // cost[i, j], u = 0 keeps every reduced cost ≥ 0, and each column's cheapest row, if still free, is
  // matched at reduced cost 0. On correlation matrices most rows are matched here; only the rest
  // need a shortest-path search.
  const matched = new Uint8Array(n + 1);
  const cheapestRow = new Int32Array(n + 1);
  v.fill(Infinity, 1);
  for (let i = 1; i <= n; i++) {
    // Row by row, so the matrix is read in memory order.
    const row = (i - 1) * n;
    for (let j = 1; j <= n; j++) {
      const c = cost[row + j - 1]!;
      if (c < v[j]!) {
        v[j] = c;
        cheapestRow[j] = i;
      }
    }
  }
  for (let j = 1; j <= n; j++) {
    const i = cheapestRow[j]!;
    if (!matched[i]) {
      matched[i] = 1;
      rowOf[j] = i;
    }
  }
  for (let i = 1; i <= n; i++) {
    if (matched[i]) continue;
    rowOf[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = rowOf[j0]!;
      const row = (i0 - 1) * n;
      const ui0 = u[i0]!;
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const reduced = cost[row + j - 1]! - ui0 - v[j]!;
        if (reduced < minv[j]!) {
          minv[j] = reduced;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= n; j++) {
        if (used[j]) {
          u[rowOf[j]!]! += delta;
          v[j]! -= delta;
        } else minv[j]! -= delta;
      }
      j0 = j1;
    } while (rowOf[j0] !== 0);
    do {
      const j1 = way[j0]!;
      rowOf[j0] = rowOf[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  const perm = new Int32Array(n);
  for (let j = 1; j <= n; j++) perm[rowOf[j]! - 1] = j - 1;
  return perm;
}
