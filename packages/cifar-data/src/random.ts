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

/**
 * The random stream of one image in one epoch: xoroshiro128+ seeded with a hash
 * of (seed, epoch, index). It does not depend on the order the images come in,
 * nor on which other images are drawn, so an image's augmentation is a function
 * of its own identity and the epoch alone.
 */
export function imageGenerator(seed: number, epoch: number, index: number): RandomGenerator {
  return xoroshiro128plus(mix(mix(mix(0x9e3779b9, seed), epoch), index));
}

/** One round of a 32-bit multiply–xorshift hash (murmur3's finaliser on h ^ value). */
function mix(h: number, value: number): number {
  h = Math.imul(h ^ value, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
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
