import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/**
 * A seeded source of integers in [min, max], so every resampling statistic is a
 * pure function of its inputs and seed (a fresh one per call, never shared).
 */
export function seededInts(seed: number): (min: number, max: number) => number {
  const generator = xoroshiro128plus(seed >>> 0);
  return (min, max) => uniformInt(generator, min, max);
}
