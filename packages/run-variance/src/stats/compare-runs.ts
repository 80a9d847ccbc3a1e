/// <reference path="../types/jstat.d.ts" />
import jStat from 'jstat';
import { InvalidArgumentError } from '../errors';
import { mean, sampleVariance } from './matrix';
import { seededInts } from './random';

export interface CompareRunsOptions {
  /** Coverage of the CI on the difference. Default 0.95. */
  level?: number;
  /** Random relabellings for the permutation test. Default 10,000. */
  permutations?: number;
  /** Seeds the permutation test. Default 0. */
  seed?: number;
}

export interface RunComparison {
  /** mean(a) − mean(b). */
  difference: number;
  /** Welch CI of the difference. */
  ci: [number, number];
  /** Standard error of the difference, √(s²ₐ/nₐ + s²ᵦ/nᵦ): what sizes the difference these runs can resolve. */
  standardError: number;
  level: number;
  /** Welch's t statistic, its Welch–Satterthwaite degrees of freedom and two-sided p-value. */
  welch: { t: number; df: number; p: number };
  /** Two-sided permutation p-value, (c + 1)/(k + 1) over k seeded relabellings of the pooled runs. */
  permutationP: number;
  n: [number, number];
}

/**
 * Whether two sets of runs (e.g. alternating vs random flip) differ in mean
 * accuracy: the difference with a Welch CI, Welch's t-test, and a seeded
 * permutation test, which assumes nothing about the shape of the distributions.
 *
 * @param a accuracies of the runs of the first setting (at least 2)
 * @param b accuracies of the runs of the second setting (at least 2)
 * @throws InvalidArgumentError with fewer than 2 runs on a side, or a NaN accuracy
 * @example compareRuns([0.94, 0.941, 0.939], [0.935, 0.936, 0.934]).welch.p
 */
export function compareRuns(a: ArrayLike<number>, b: ArrayLike<number>, options: CompareRunsOptions = {}): RunComparison {
  const { level = 0.95, permutations = 10_000, seed = 0 } = options;
  for (const [name, values] of [['a', a], ['b', b]] as const) {
    if (values.length < 2) throw new InvalidArgumentError(name, `compareRuns requires at least 2 runs on each side, but '${name}' has ${values.length}.`);
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) throw new InvalidArgumentError(name, `compareRuns: ${name}[${i}] is ${values[i]}; every accuracy must be a finite number.`);
    }
  }
  if (!(level > 0 && level < 1)) throw new InvalidArgumentError('level', `compareRuns: 'level' must be in (0, 1), but got ${level}.`);
  const [na, nb] = [a.length, b.length];
  const difference = mean(a) - mean(b);
  const [va, vb] = [sampleVariance(a) / na, sampleVariance(b) / nb];
  const se = Math.sqrt(va + vb);
  const df = se > 0 ? (va + vb) ** 2 / (va ** 2 / (na - 1) + vb ** 2 / (nb - 1)) : na + nb - 2;
  const t = se > 0 ? difference / se : difference === 0 ? 0 : Math.sign(difference) * Infinity;
  const p = se > 0 ? 2 * (1 - jStat.studentt.cdf(Math.abs(t), df)) : difference === 0 ? 1 : 0;
  const half = se * jStat.studentt.inv(1 - (1 - level) / 2, df);

  // Permutation test: relabel the pooled runs at random, count |difference| at least the observed.
  const pooled = Float64Array.from([...Array.from(a), ...Array.from(b)]);
  const total = pooled.reduce((s, v) => s + v, 0);
  const ints = seededInts(seed);
  const observed = Math.abs(difference) - 1e-12; // ties count as at least as extreme
  let extreme = 0;
  for (let r = 0; r < permutations; r++) {
    // A partial Fisher–Yates: the first na entries become group a.
    let sumA = 0;
    for (let i = 0; i < na; i++) {
      const j = ints(i, pooled.length - 1);
      [pooled[i], pooled[j]] = [pooled[j]!, pooled[i]!];
      sumA += pooled[i]!;
    }
    if (Math.abs(sumA / na - (total - sumA) / nb) >= observed) extreme += 1;
  }
  return {
    difference,
    ci: [difference - half, difference + half],
    standardError: se,
    level,
    welch: { t, df, p: Math.min(1, Math.max(0, p)) },
    permutationP: (extreme + 1) / (permutations + 1),
    n: [na, nb],
  };
}
