import { describe, expect, it } from 'vitest';
import { budgetToMatch, calibrationTable, compareRuns, meanInterval, correctnessMatrix, exampleAccuracies, InvalidArgumentError, poissonBinomial, varianceReport, type CorrectnessMatrix } from '../src/index';
import { seededInts } from '../src/stats/random';

/** A seeded uniform in [0, 1) for simulations, fresh per test. */
function uniforms(seed: number) {
  const ints = seededInts(seed);
  return () => ints(0, 2 ** 30 - 1) / 2 ** 30;
}

/** Standard normal by Box–Muller. */
function normals(seed: number) {
  const u = uniforms(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** K runs on n examples: example i right with probability p_i + shift_k (independent given the shifts). */
function simulate(K: number, n: number, p: Float64Array, shift: (k: number) => number, seed: number): CorrectnessMatrix {
  const u = uniforms(seed);
  const correct = new Uint8Array(K * n);
  for (let k = 0; k < K; k++) {
    const s = shift(k);
    for (let i = 0; i < n; i++) correct[k * n + i] = u() < p[i]! + s ? 1 : 0;
  }
  return { runs: K, examples: n, correct };
}

describe('poissonBinomial', () => {
  it('equals brute-force enumeration of all outcomes for small n', () => {
    const u = uniforms(1);
    for (const n of [1, 2, 5, 9]) {
      const p = Array.from({ length: n }, () => u());
      p[0] = 1; // a certain success, and
      if (n > 2) p[1] = 0; // a certain failure, are shifts
      const brute = new Float64Array(n + 1);
      for (let mask = 0; mask < 2 ** n; mask++) {
        let prob = 1;
        let successes = 0;
        for (let i = 0; i < n; i++) {
          const hit = (mask >> i) & 1;
          prob *= hit ? p[i]! : 1 - p[i]!;
          successes += hit;
        }
        brute[successes]! += prob;
      }
      const pmf = poissonBinomial(p);
      expect(pmf).toHaveLength(n + 1);
      pmf.forEach((v, j) => expect(v).toBeCloseTo(brute[j]!, 14));
    }
    expect(Array.from(poissonBinomial([0.5, 0.5]))).toEqual([0.25, 0.5, 0.25]);
  });

  it('has mean Σp and variance Σp(1−p) at n = 10,000', () => {
    const u = uniforms(2);
    const p = Array.from({ length: 10_000 }, () => (u() < 0.8 ? 1 : u()));
    const pmf = poissonBinomial(p);
    let [total, m, m2] = [0, 0, 0];
    pmf.forEach((v, j) => {
      total += v;
      m += j * v;
      m2 += j * j * v;
    });
    const expectedMean = p.reduce((s, q) => s + q, 0);
    const expectedVar = p.reduce((s, q) => s + q * (1 - q), 0);
    expect(total).toBeCloseTo(1, 10);
    expect(m).toBeCloseTo(expectedMean, 6);
    expect(m2 - m * m).toBeCloseTo(expectedVar, 4);
  });

  it('refuses a probability outside [0, 1]', () => {
    expect(() => poissonBinomial([0.5, 1.2])).toThrow(/p\[1\] is 1\.2/);
    expect(() => poissonBinomial([NaN])).toThrow(InvalidArgumentError);
  });
});

describe('varianceReport', () => {
  const n = 4000;
  const u = uniforms(3);
  // Heterogeneous examples, like a trained network's: many easy, some hard.
  const p = Float64Array.from({ length: n }, () => 0.2 + 0.6 * u());

  it('finds no distribution-wise variance in data made under the independent errors assumption', () => {
    const matrix = simulate(300, n, p, () => 0, 4);
    const report = varianceReport(matrix, { seed: 1 });
    expect(report.runs).toBe(300);
    expect(report.examples).toBe(n);
    // The empirical std is what the IEA predicts, and V̂_D's CI holds 0.
    expect(report.stdAccuracy / report.ieaStd).toBeGreaterThan(0.85);
    expect(report.stdAccuracy / report.ieaStd).toBeLessThan(1.15);
    expect(report.distributionWiseCI.variance[0]).toBeLessThan(0);
    expect(report.distributionWiseCI.variance[1]).toBeGreaterThan(0);
    expect(Math.abs(report.splitHalf.correlation)).toBeLessThan(0.2);
  });

  it('recovers a known distribution-wise variance within its CI, and the split halves see it too', () => {
    const tau = 0.01; // each run is shifted by N(0, τ²) on every example: Var(A_D) = τ²
    const z = normals(5);
    const shifts = Array.from({ length: 400 }, () => tau * z());
    const matrix = simulate(400, n, p, (k) => shifts[k]!, 6);
    const report = varianceReport(matrix, { seed: 2 });
    const [low, high] = report.distributionWiseCI.variance;
    expect(low).toBeLessThan(tau ** 2);
    expect(high).toBeGreaterThan(tau ** 2);
    expect(low).toBeGreaterThan(0);
    expect(report.distributionWiseStd).toBeGreaterThan(0.007);
    expect(report.distributionWiseStd).toBeLessThan(0.013);
    expect(report.stdAccuracy).toBeGreaterThan(report.ieaStd);
    expect(report.splitHalf.correlation).toBeGreaterThan(0.5);
    expect(report.splitHalf.covariance / tau ** 2).toBeGreaterThan(0.6);
    expect(report.splitHalf.covariance / tau ** 2).toBeLessThan(1.4);
  });

  it('computes the point estimates by their definitions, and is a pure function of its seed', () => {
    const matrix = simulate(20, 300, p.subarray(0, 300), () => 0, 7);
    const report = varianceReport(matrix, { seed: 9, resamples: 200 });
    const K = 20;
    const N = 300;
    const acc = Array.from({ length: K }, (_, k) => matrix.correct.subarray(k * N, (k + 1) * N).reduce((s, c) => s + c, 0) / N);
    const mean = acc.reduce((s, a) => s + a, 0) / K;
    const s2 = acc.reduce((s, a) => s + (a - mean) ** 2, 0) / (K - 1);
    const phat = exampleAccuracies(matrix);
    const bern = phat.reduce((s, q) => s + q * (1 - q), 0);
    expect(report.meanAccuracy).toBeCloseTo(mean, 12);
    expect(report.stdAccuracy).toBeCloseTo(Math.sqrt(s2), 12);
    expect(report.ieaStd).toBeCloseTo(Math.sqrt(bern) / N, 12);
    expect(report.distributionWiseVariance).toBeCloseTo((N / (N - 1)) * (s2 - (bern * K) / (K - 1) / N ** 2), 14);
    expect(report.binaryCalibrationStd).toBeCloseTo(Math.sqrt((1 - mean) / (2 * N)), 12);
    expect(varianceReport(matrix, { seed: 9, resamples: 200 })).toEqual(report);
    expect(varianceReport(matrix, { seed: 10, resamples: 200 }).distributionWiseCI).not.toEqual(report.distributionWiseCI);
  });

  it('refuses too few runs and a malformed matrix, naming what is wrong', () => {
    expect(() => varianceReport({ runs: 2, examples: 3, correct: new Uint8Array(6) })).toThrow(/requires at least 3 runs, but got 2/);
    expect(() => varianceReport({ runs: 3, examples: 3, correct: new Uint8Array(5) })).toThrow(/Uint8Array of runs × examples/);
    expect(() => correctnessMatrix([[1, 2], [1]], [1, 2])).toThrow(/run 1 has 1 predictions, but there are 2 labels/);
  });
});

describe('compareRuns', () => {
  it('gives Welch’s t, df and p, and the CI: at t = t(0.975, 10) the p-value is 0.05 and the CI touches 0', () => {
    // Equal sizes and variances: the Welch df is exactly 2n − 2 = 10.
    const b = [0, 1, 2, 3, 4, 5];
    const se = Math.sqrt(7 / 6);
    const d = 2.228138851986274 * se; // Student t quantile 0.975 at 10 df
    const a = b.map((v) => v + d);
    const result = compareRuns(a, b, { permutations: 2000 });
    expect(result.welch.df).toBeCloseTo(10, 10);
    expect(result.welch.t).toBeCloseTo(2.228138851986274, 10);
    expect(result.welch.p).toBeCloseTo(0.05, 6);
    expect(result.ci[0]).toBeCloseTo(0, 6);
    expect(result.ci[1]).toBeCloseTo(2 * d, 6);
    expect(result.n).toEqual([6, 6]);
    expect(result.standardError).toBeCloseTo(se, 12);
  });

  it('has the exact permutation p-value in expectation: 2/20 for fully separated groups of 3', () => {
    const result = compareRuns([4, 5, 6], [1, 2, 3], { permutations: 20_000, seed: 3 });
    expect(result.permutationP).toBeGreaterThan(0.09);
    expect(result.permutationP).toBeLessThan(0.11);
    expect(compareRuns([4, 5, 6], [1, 2, 3], { permutations: 20_000, seed: 3 })).toEqual(result);
  });

  it('refuses NaN and too few runs', () => {
    expect(() => compareRuns([0.9, NaN], [0.9, 0.91])).toThrow(/a\[1\] is NaN/);
    expect(() => compareRuns([0.9], [0.9, 0.91])).toThrow(/at least 2 runs on each side, but 'a' has 1/);
  });
});

describe('calibrationTable', () => {
  it('bins (example, class) pairs by vote share and measures how often the class is the label', () => {
    // 4 runs, 3 examples, labels 0, 1, 2.
    const predictions = [
      [0, 1, 1],
      [0, 1, 2],
      [0, 0, 2],
      [1, 1, 2],
    ];
    const table = calibrationTable(predictions, [0, 1, 2], { bins: 4 });
    // Shares: ex0 {0: .75, 1: .25}, ex1 {1: .75, 0: .25}, ex2 {2: .75, 1: .25}.
    expect(table.map((b) => b.count)).toEqual([3, 0, 3, 0]);
    expect(table[0]!.meanVoteShare).toBeCloseTo(0.25, 12);
    expect(table[0]!.accuracy).toBe(0);
    expect(table[2]!.meanVoteShare).toBeCloseTo(0.75, 12);
    expect(table[2]!.accuracy).toBe(1);
  });
});

describe('meanInterval', () => {
  it('is the Student-t interval of the mean (t(0.975, 2) = 4.3027)', () => {
    const r = meanInterval([1, 2, 3]);
    expect(r).toMatchObject({ n: 3, mean: 2, std: 1, level: 0.95 });
    expect(r.ci[0]).toBeCloseTo(2 - 4.302653 / Math.sqrt(3), 5);
    expect(r.ci[1]).toBeCloseTo(2 + 4.302653 / Math.sqrt(3), 5);
  });

  it('covers the true mean about 95% of the time on simulated normal runs', () => {
    const z = normals(7);
    let covered = 0;
    for (let k = 0; k < 2000; k++) {
      const { ci } = meanInterval(Array.from({ length: 5 }, () => 0.9 + 0.01 * z()));
      if (ci[0] <= 0.9 && 0.9 <= ci[1]) covered += 1;
    }
    expect(covered / 2000).toBeGreaterThan(0.93);
    expect(covered / 2000).toBeLessThan(0.97);
  });

  it('refuses one run and non-finite values, naming them', () => {
    expect(() => meanInterval([0.5])).toThrow(/at least 2 runs, but got 1/);
    expect(() => meanInterval([0.5, NaN])).toThrow(/values\[1\] is NaN/);
    expect(() => meanInterval([0.5, 0.6], { level: 1 })).toThrow(InvalidArgumentError);
  });
});

describe('budgetToMatch', () => {
  const cell = (budget: number, accuracies: number[]) => ({ budget, accuracies });

  it('interpolates linearly between the budgets whose means bracket the target', () => {
    // curve means 0.5 @ 2, 0.6 @ 4, 0.7 @ 6; target mean 0.65 → 5 epochs.
    const curve = [cell(2, [0.49, 0.51]), cell(4, [0.59, 0.61]), cell(6, [0.69, 0.71])];
    const match = budgetToMatch([0.64, 0.66], curve, { resamples: 500 });
    expect(match.position).toBe('within');
    expect(match.budget).toBeCloseTo(5, 10);
    expect(match.ci[0]).toBeLessThan(5);
    expect(match.ci[1]).toBeGreaterThan(5);
    expect(match.ci[0]).toBeGreaterThan(4); // the spread is small against the gaps between budgets
    expect(match.ci[1]).toBeLessThan(6);
    expect(budgetToMatch([0.64, 0.66], curve, { resamples: 500 })).toEqual(match); // seeded
  });

  it('says when the target lies outside the budgets, with an open interval', () => {
    const curve = [cell(2, [0.5, 0.5]), cell(4, [0.6, 0.6])];
    const above = budgetToMatch([0.8, 0.8], curve, { resamples: 200 });
    expect(above).toMatchObject({ budget: null, position: 'above', outside: 1, ci: [Infinity, Infinity] });
    expect(budgetToMatch([0.3, 0.3], curve, { resamples: 200 })).toMatchObject({ budget: null, position: 'below', ci: [-Infinity, -Infinity] });
  });

  it('widens with the spread of the runs', () => {
    const z = normals(3);
    const runs = (m: number, sd: number) => Array.from({ length: 10 }, () => m + sd * z());
    const width = (sd: number) => {
      const r = budgetToMatch(runs(0.65, sd), [cell(2, runs(0.5, sd)), cell(4, runs(0.6, sd)), cell(6, runs(0.7, sd)), cell(8, runs(0.8, sd))], { resamples: 1000 });
      return r.ci[1] - r.ci[0];
    };
    expect(width(0.03)).toBeGreaterThan(2 * width(0.005));
  });

  it('refuses a curve of one budget, budgets out of order, and empty cells', () => {
    expect(() => budgetToMatch([0.5], [cell(2, [0.5])])).toThrow(/2 or more budgets, but got 1/);
    expect(() => budgetToMatch([0.5], [cell(4, [0.5]), cell(2, [0.6])])).toThrow(/budgets must increase, but 2 follows 4/);
    expect(() => budgetToMatch([0.5], [cell(2, []), cell(4, [0.6])])).toThrow(/the cell at budget 2 has no runs/);
  });
});
