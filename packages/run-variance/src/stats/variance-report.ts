import { InvalidArgumentError } from '../errors';
import { checkMatrix, exampleAccuracies, mean, runAccuracies, sampleVariance, type CorrectnessMatrix } from './matrix';
import { seededInts } from './random';

// ---------------------------------------------------------------------------
// Test-set vs distribution-wise variance (docs/papers.md §2.1–2.4)
// ---------------------------------------------------------------------------
//
// Var(A_S) over runs splits into the per-example Bernoulli noise (1/n²)Σp_i(1−p_i)
// and the covariance between examples. The examples are iid draws from D, so the
// mean off-diagonal covariance estimates Var(A_D), the variance that would remain
// on infinitely many fresh test examples. Under the independent errors
// assumption (IEA) it is 0 and all of Var(A_S) is the finite test set's noise.

export interface VarianceReportOptions {
  /** Bootstrap resamples of the runs for the distribution-wise CI. Default 1000. */
  resamples?: number;
  /** Coverage of the CI. Default 0.95. */
  level?: number;
  /** Seeds the bootstrap and the split-half split. Default 0. */
  seed?: number;
}

export interface VarianceReport {
  runs: number;
  examples: number;
  /** Mean test-set accuracy over runs. */
  meanAccuracy: number;
  /** Std of the test-set accuracy across runs (denominator K − 1). */
  stdAccuracy: number;
  /** The std the IEA predicts: √(Σ p̂_i(1 − p̂_i)) / n. */
  ieaStd: number;
  /** V̂_D = n/(n−1)·[s² − (1/n²)Σ v̂_i], v̂_i = p̂_i(1 − p̂_i)·K/(K−1) (docs/papers.md §2.3); may be negative near 0. */
  distributionWiseVariance: number;
  /** √max(V̂_D, 0). */
  distributionWiseStd: number;
  /** Percentile bootstrap over runs (seeded): [low, high] of V̂_D and of σ̂_D. */
  distributionWiseCI: { level: number; resamples: number; variance: [number, number]; std: [number, number] };
  /** Accuracies on two random disjoint halves of the test set, across runs: their covariance estimates Var(A_D). */
  splitHalf: { covariance: number; correlation: number };
  /** √(err/(2n)): the test-set std that class calibration and the IEA imply for a binary task (docs/papers.md §2.4). */
  binaryCalibrationStd: number;
}

/**
 * Everything the paper asks of K runs' correctness on one test set: the
 * empirical std, the IEA's prediction, the distribution-wise variance with a
 * bootstrap CI, the split-half check and the calibration formula.
 *
 * O(K·n) for the point estimates; the bootstrap uses the Gram matrix of the runs
 * over the examples they disagree on (bit-packed), then O(K²) per resample, so
 * 1,000 runs × 10,000 examples takes about a second.
 *
 * @throws InvalidArgumentError with fewer than 3 runs or 2 examples
 * @example varianceReport(correctnessMatrix(predictions, labels)).distributionWiseStd
 */
export function varianceReport(matrix: CorrectnessMatrix, options: VarianceReportOptions = {}): VarianceReport {
  checkMatrix(matrix, 'varianceReport', 3);
  const { resamples = 1000, level = 0.95, seed = 0 } = options;
  if (!Number.isSafeInteger(resamples) || resamples < 10) throw new InvalidArgumentError('resamples', `varianceReport: 'resamples' must be an integer ≥ 10, but got ${resamples}.`);
  if (!(level > 0 && level < 1)) throw new InvalidArgumentError('level', `varianceReport: 'level' must be in (0, 1), but got ${level}.`);
  const { runs: K, examples: n } = matrix;
  const accuracies = runAccuracies(matrix);
  const p = exampleAccuracies(matrix);
  let bernoulli = 0;
  for (let i = 0; i < n; i++) bernoulli += p[i]! * (1 - p[i]!);
  const meanAccuracy = mean(accuracies);
  const s2 = sampleVariance(accuracies);
  const variance = distributionWise(s2, bernoulli, K, n);

  const gram = agreementGram(matrix, p);
  const ints = seededInts(seed);
  const weights = new Float64Array(K);
  const replicates = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    weights.fill(0);
    for (let k = 0; k < K; k++) weights[ints(0, K - 1)]! += 1;
    replicates[b] = resampledVariance(weights, accuracies, gram, K, n);
  }
  replicates.sort();
  const tail = (1 - level) / 2;
  const low = quantile(replicates, tail);
  const high = quantile(replicates, 1 - tail);
  const root = (v: number) => Math.sqrt(Math.max(v, 0));

  return {
    runs: K,
    examples: n,
    meanAccuracy,
    stdAccuracy: Math.sqrt(s2),
    ieaStd: Math.sqrt(bernoulli) / n,
    distributionWiseVariance: variance,
    distributionWiseStd: root(variance),
    distributionWiseCI: { level, resamples, variance: [low, high], std: [root(low), root(high)] },
    splitHalf: splitHalf(matrix, seed),
    binaryCalibrationStd: Math.sqrt((1 - meanAccuracy) / (2 * n)),
  };
}

/** V̂_D from the sample variance of accuracies and Σ p̂(1 − p̂) (docs/papers.md §2.3). */
function distributionWise(s2: number, bernoulli: number, K: number, n: number): number {
  return (n / (n - 1)) * (s2 - (bernoulli * K) / (K - 1) / (n * n));
}

/**
 * G[k, l] = number of examples runs k and l both got right. Examples every run
 * got right add 1 everywhere and examples none did add 0, so only the examples
 * the runs disagree on are counted, 32 to a word.
 */
function agreementGram(matrix: CorrectnessMatrix, p: Float64Array): { base: number; G: Float64Array } {
  const { runs: K, examples: n, correct } = matrix;
  const varying: number[] = [];
  let base = 0;
  for (let i = 0; i < n; i++) {
    if (p[i] === 1) base += 1;
    else if (p[i]! > 0) varying.push(i);
  }
  const words = Math.ceil(varying.length / 32);
  const bits = new Int32Array(K * words);
  for (let k = 0; k < K; k++) {
    for (let v = 0; v < varying.length; v++) if (correct[k * n + varying[v]!]) bits[k * words + (v >>> 5)]! |= 1 << (v & 31);
  }
  const G = new Float64Array(K * K);
  for (let k = 0; k < K; k++) {
    for (let l = k; l < K; l++) {
      let shared = 0;
      for (let w = 0; w < words; w++) shared += popcount(bits[k * words + w]! & bits[l * words + w]!);
      G[k * K + l] = G[l * K + k] = base + shared;
    }
  }
  return { base, G };
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/**
 * V̂_D of a bootstrap resample, runs taken weights[k] times: with m_i = Σ w_k c_ki,
 * Σ p̂(1 − p̂) = Σ m_i/K − Σ m_i²/K², and Σ m_i² = wᵀGw.
 */
function resampledVariance(weights: Float64Array, accuracies: Float64Array, { G }: { G: Float64Array }, K: number, n: number): number {
  // Only the runs drawn (about 63% of them) enter, and G is symmetric: half the pairs.
  const drawn: number[] = [];
  let sumA = 0;
  for (let k = 0; k < K; k++) {
    if (weights[k] === 0) continue;
    drawn.push(k);
    sumA += weights[k]! * accuracies[k]!;
  }
  const meanA = sumA / K;
  let ss = 0;
  let quadratic = 0;
  for (let a = 0; a < drawn.length; a++) {
    const k = drawn[a]!;
    const wk = weights[k]!;
    ss += wk * (accuracies[k]! - meanA) ** 2;
    const rowStart = k * K;
    let offDiagonal = 0;
    for (let b = a + 1; b < drawn.length; b++) {
      const l = drawn[b]!;
      offDiagonal += weights[l]! * G[rowStart + l]!;
    }
    quadratic += wk * (wk * G[rowStart + k]! + 2 * offDiagonal);
  }
  const bernoulli = (sumA * n) / K - quadratic / (K * K);
  return distributionWise(ss / (K - 1), bernoulli, K, n);
}

function quantile(sorted: Float64Array, q: number): number {
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}

/**
 * Each run's accuracy on two random disjoint halves of the test set (seeded).
 * Across runs, the covariance of the two estimates Var(A_D): no example is in both.
 */
export function splitHalfAccuracies(matrix: CorrectnessMatrix, seed = 0): { first: Float64Array; second: Float64Array } {
  const { runs: K, examples: n, correct } = matrix;
  const ints = seededInts(seed ^ 0x5bd1e995);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = ints(0, i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const half = Math.floor(n / 2);
  const inFirst = new Uint8Array(n);
  for (let i = 0; i < half; i++) inFirst[order[i]!] = 1;
  const first = new Float64Array(K);
  const second = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    let hitsA = 0;
    let hitsB = 0;
    for (let i = 0; i < n; i++) {
      const c = correct[k * n + i]!;
      if (inFirst[i]) hitsA += c;
      else hitsB += c;
    }
    first[k] = hitsA / half;
    second[k] = hitsB / (n - half);
  }
  return { first, second };
}

function splitHalf(matrix: CorrectnessMatrix, seed: number): { covariance: number; correlation: number } {
  const { first: a, second: b } = splitHalfAccuracies(matrix, seed);
  const K = a.length;
  const [ma, mb] = [mean(a), mean(b)];
  let cov = 0;
  for (let k = 0; k < K; k++) cov += (a[k]! - ma) * (b[k]! - mb);
  cov /= K - 1;
  const denominator = Math.sqrt(sampleVariance(a) * sampleVariance(b));
  return { covariance: cov, correlation: denominator > 0 ? cov / denominator : 0 };
}
