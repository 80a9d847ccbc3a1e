/// <reference path="../types/jstat.d.ts" />
import jStat from 'jstat';
import { InvalidArgumentError } from '../errors';
import { mean, sampleVariance } from './matrix';

export interface MeanInterval {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1). */
  std: number;
  /** Student-t interval of the mean: mean ± t(1 − (1 − level)/2, n − 1) · std / √n. */
  ci: [number, number];
  level: number;
}

/**
 * The mean of a setting's runs with its confidence interval: what a table of
 * "accuracy ± 95% CI (n)" reports for one cell.
 *
 * @param values accuracies of the runs (at least 2, all finite)
 * @throws InvalidArgumentError with fewer than 2 values, a non-finite value, or a level outside (0, 1)
 * @example meanInterval([0.94, 0.941, 0.939]).ci // [0.9375…, 0.9424…]
 */
export function meanInterval(values: ArrayLike<number>, options: { level?: number } = {}): MeanInterval {
  const { level = 0.95 } = options;
  if (values.length < 2) throw new InvalidArgumentError('values', `meanInterval requires at least 2 runs, but got ${values.length}.`);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new InvalidArgumentError('values', `meanInterval: values[${i}] is ${values[i]}; every accuracy must be a finite number.`);
  }
  if (!(level > 0 && level < 1)) throw new InvalidArgumentError('level', `meanInterval: 'level' must be in (0, 1), but got ${level}.`);
  const n = values.length;
  const m = mean(values);
  const std = Math.sqrt(sampleVariance(values));
  const half = (jStat.studentt.inv(1 - (1 - level) / 2, n - 1) * std) / Math.sqrt(n);
  return { n, mean: m, std, ci: [m - half, m + half], level };
}
