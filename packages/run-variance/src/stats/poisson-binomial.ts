import { InvalidArgumentError } from '../errors';

/**
 * The exact distribution of the number of successes among independent
 * Bernoulli(p_i) trials: the Poisson-binomial. Under the independent errors
 * assumption (docs/papers.md §2.2) it is the distribution of the number of test examples a
 * run gets right, given each example's accuracy over runs p̂_i.
 *
 * Dynamic programming in float64, one trial at a time: O(n²) time, O(n) memory
 * (n = 10,000: about 10⁸ multiply-adds). Examples with p = 0 or 1 only shift the
 * distribution, so they are counted, not convolved.
 *
 * @param p success probability of each trial, each in [0, 1]
 * @returns pmf with pmf[j] = P(exactly j successes), j = 0..n
 * @throws InvalidArgumentError when a probability is outside [0, 1] or NaN
 * @example poissonBinomial([0.5, 0.5]) // Float64Array [0.25, 0.5, 0.25]
 */
export function poissonBinomial(p: ArrayLike<number>): Float64Array {
  const n = p.length;
  let certain = 0;
  const uncertain: number[] = [];
  for (let i = 0; i < n; i++) {
    const q = p[i]!;
    if (!(q >= 0 && q <= 1)) throw new InvalidArgumentError('p', `poissonBinomial: p[${i}] is ${q}; every probability must be in [0, 1].`);
    if (q === 1) certain += 1;
    else if (q > 0) uncertain.push(q);
  }
  // dp[j] = P(j successes among the uncertain trials seen so far), updated in place from the top.
  const dp = new Float64Array(uncertain.length + 1);
  dp[0] = 1;
  uncertain.forEach((q, t) => {
    for (let j = t + 1; j > 0; j--) dp[j] = dp[j]! * (1 - q) + dp[j - 1]! * q;
    dp[0] = dp[0]! * (1 - q);
  });
  const pmf = new Float64Array(n + 1);
  pmf.set(dp, certain);
  return pmf;
}
