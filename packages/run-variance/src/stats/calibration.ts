import { InvalidArgumentError } from '../errors';

export interface CalibrationBin {
  /** Vote shares in (low, high]. */
  low: number;
  high: number;
  /** (example, class) pairs whose ensemble vote share falls in the bin. */
  count: number;
  /** Their mean vote share q. */
  meanVoteShare: number;
  /** The fraction of them whose label is that class: equals q when the ensemble is class-wise calibrated. */
  accuracy: number;
}

/**
 * Ensemble class-wise calibration (docs/papers.md §2.4, Jiang et al. 2021): for every test
 * example x and class k, the vote share q_k(x) is the fraction of runs that
 * predicted k. Pairs with q > 0 are binned by q; in a calibrated ensemble the
 * fraction of a bin's pairs whose label is k equals its mean q. This calibration
 * is what forces test-set variance: σ_S ≈ √(err/(2n)) in the binary case.
 *
 * @param predictions one row of predicted classes per run, each of the labels' length
 * @param labels the test labels
 * @param classes number of classes (default: 1 + the largest label or prediction)
 * @param bins equal-width bins over (0, 1] (default 10)
 * @example calibrationTable(predictionsByRun, labels).map((b) => [b.meanVoteShare, b.accuracy])
 */
export function calibrationTable(predictions: readonly ArrayLike<number>[], labels: ArrayLike<number>, options: { classes?: number; bins?: number } = {}): CalibrationBin[] {
  const runs = predictions.length;
  const n = labels.length;
  if (runs < 1) throw new InvalidArgumentError('predictions', 'calibrationTable requires at least 1 run.');
  const bins = options.bins ?? 10;
  let classes = options.classes ?? 0;
  if (!options.classes) for (const row of [labels, ...predictions]) for (let i = 0; i < row.length; i++) classes = Math.max(classes, row[i]! + 1);
  predictions.forEach((row, k) => {
    if (row.length !== n) throw new InvalidArgumentError('predictions', `calibrationTable: run ${k} has ${row.length} predictions, but there are ${n} labels.`);
  });
  const count = new Float64Array(bins);
  const shareSum = new Float64Array(bins);
  const hits = new Float64Array(bins);
  const votes = new Int32Array(classes);
  for (let i = 0; i < n; i++) {
    votes.fill(0);
    for (let k = 0; k < runs; k++) votes[predictions[k]![i]!]! += 1;
    for (let c = 0; c < classes; c++) {
      if (votes[c] === 0) continue;
      const q = votes[c]! / runs;
      const bin = Math.min(bins - 1, Math.ceil(q * bins) - 1);
      count[bin]! += 1;
      shareSum[bin]! += q;
      if (labels[i] === c) hits[bin]! += 1;
    }
  }
  return Array.from({ length: bins }, (_, b) => ({
    low: b / bins,
    high: (b + 1) / bins,
    count: count[b]!,
    meanVoteShare: count[b]! ? shareSum[b]! / count[b]! : NaN,
    accuracy: count[b]! ? hits[b]! / count[b]! : NaN,
  }));
}
