import { InvalidArgumentError } from './errors';

// A stateless fair coin: a keyed integer hash of (seed, index, round).
//
// Why a hash and not a seeded generator: the flip of image i in epoch e must be
// answerable in O(1), in any order, by any process (a loader shard, a worker, a
// Python port), with no state carried from earlier calls. Math.imul and unsigned
// shifts are exact 32-bit integer operations in every JavaScript engine, so the
// same (seed, index, round) gives the same coin on every platform.

const TWO_32 = 2 ** 32;

/** murmur3's 32-bit finaliser: full avalanche, every input bit moves every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Mixes a non-negative safe integer (up to 2^53) into the running hash, 32 bits at a time. */
function absorb(h: number, value: number): number {
  const low = value >>> 0;
  const high = Math.floor(value / TWO_32) >>> 0;
  return fmix32(fmix32(h ^ low) ^ (high + 0x9e3779b9));
}

/** Whether the coin for (seed, index, round) shows heads: 1 or 0, each with probability 1/2. */
export function coin(seed: number, index: number, round: number): 0 | 1 {
  let h = absorb(0x5bd1e995, seed);
  h = absorb(h, index);
  h = absorb(h, round);
  return (h >>> 31) as 0 | 1;
}

/** Throws unless `value` is a whole number in [0, 2^53). */
export function checkCount(fn: string, argument: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(
      argument,
      `${fn}: '${argument}' must be a non-negative integer below 2^53, but got ${String(value)}.`,
    );
  }
}
