import { uniformInt } from 'pure-rand/distribution/uniformInt';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/**
 * The random stream of one loader epoch: the seed's xoroshiro128+ generator,
 * jumped (2^64 steps each) once per epoch. Each epoch's draws depend only on
 * (seed, epoch), so epoch 7 is the same whether or not epochs 0–6 ran first,
 * which is what lets an interrupted run resume with identical batches.
 */
export function epochGenerator(seed: number, epoch: number): RandomGenerator {
  const generator = xoroshiro128plus(seed);
  for (let e = 0; e <= epoch; e++) generator.jump();
  return generator;
}

/** A uniformly random permutation of `values`, in place (Fisher–Yates). */
export function shuffleInPlace(values: Int32Array, generator: RandomGenerator): Int32Array {
  for (let i = values.length - 1; i > 0; i--) {
    const j = uniformInt(generator, 0, i);
    const t = values[i] as number;
    values[i] = values[j] as number;
    values[j] = t;
  }
  return values;
}

export { uniformInt };
