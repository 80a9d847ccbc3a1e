import { InvalidArgumentError } from '../errors';
import { mean } from './matrix';
import { seededInts } from './random';

/** One budget of a setting (e.g. random flip at 6 epochs) and the accuracies of its runs. */
export interface BudgetCell {
  budget: number;
  accuracies: ArrayLike<number>;
}

export interface BudgetMatch {
  /**
   * The budget at which the curve's mean accuracy reaches the target's mean,
   * linear between the measured budgets; null when it lies outside them.
   */
  budget: number | null;
  /** 'below': the curve's smallest budget already beats the target; 'above': its largest does not reach it. */
  position: 'within' | 'below' | 'above';
  /**
   * Percentile bootstrap interval (runs resampled within every cell). An end is
   * −Infinity or Infinity when that share of the resamples fell outside the budgets.
   */
  ci: [number, number];
  level: number;
  /** Fraction of the resamples whose match fell outside the budgets. */
  outside: number;
}

/**
 * How much budget one setting needs to match another's accuracy: the airbench
 * paper states the alternating flip's gain as the epochs random flip needs to
 * reach alternating flip's accuracy (e.g. "saves about 2 of 17 epochs"). Here
 * `curve` is the slower setting at several budgets, `target` the runs of the
 * faster one at one budget; the match is where the curve of means, linear
 * between budgets, first reaches the target's mean. Its uncertainty comes from
 * resampling the runs of every cell (seeded, so the result is reproducible).
 *
 * @throws InvalidArgumentError with fewer than 2 budgets, budgets not increasing, or a cell with no runs
 * @example budgetToMatch(altAt8, [{ budget: 6, accuracies: rnd6 }, { budget: 8, accuracies: rnd8 }, { budget: 10, accuracies: rnd10 }]).budget
 */
export function budgetToMatch(target: ArrayLike<number>, curve: readonly BudgetCell[], options: { level?: number; resamples?: number; seed?: number } = {}): BudgetMatch {
  const { level = 0.95, resamples = 2000, seed = 0 } = options;
  if (curve.length < 2) throw new InvalidArgumentError('curve', `budgetToMatch needs the curve at 2 or more budgets, but got ${curve.length}.`);
  for (let j = 0; j < curve.length; j++) {
    if (curve[j]!.accuracies.length === 0) throw new InvalidArgumentError('curve', `budgetToMatch: the cell at budget ${curve[j]!.budget} has no runs.`);
    if (j > 0 && !(curve[j]!.budget > curve[j - 1]!.budget)) throw new InvalidArgumentError('curve', `budgetToMatch: budgets must increase, but ${curve[j]!.budget} follows ${curve[j - 1]!.budget}.`);
  }
  if (target.length === 0) throw new InvalidArgumentError('target', 'budgetToMatch: the target has no runs.');
  const budgets = curve.map((c) => c.budget);
  const point = crossing(mean(target), budgets, curve.map((c) => mean(c.accuracies)));

  const ints = seededInts(seed);
  const resampledMean = (values: ArrayLike<number>) => {
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += values[ints(0, values.length - 1)]!;
    return sum / values.length;
  };
  const draws = new Float64Array(resamples);
  let outside = 0;
  for (let r = 0; r < resamples; r++) {
    const m = crossing(resampledMean(target), budgets, curve.map((c) => resampledMean(c.accuracies)));
    draws[r] = m.position === 'within' ? m.budget! : m.position === 'below' ? -Infinity : Infinity;
    if (m.position !== 'within') outside += 1;
  }
  draws.sort();
  const at = (q: number) => draws[Math.min(resamples - 1, Math.max(0, Math.floor(q * resamples)))]!;
  return { ...point, ci: [at((1 - level) / 2), at(1 - (1 - level) / 2)], level, outside: outside / resamples };
}

/** Where the piecewise-linear curve of means first reaches `value`, scanning up from the smallest budget. */
function crossing(value: number, budgets: number[], means: number[]): Pick<BudgetMatch, 'budget' | 'position'> {
  if (means[0]! >= value) return { budget: null, position: 'below' };
  for (let j = 1; j < means.length; j++) {
    if (means[j]! >= value) {
      const t = (value - means[j - 1]!) / (means[j]! - means[j - 1]!);
      return { budget: budgets[j - 1]! + t * (budgets[j]! - budgets[j - 1]!), position: 'within' };
    }
  }
  return { budget: null, position: 'above' };
}
