import type * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from './errors';

export interface Score {
  accuracy: number;
  /** Mean cross-entropy. */
  loss: number;
}

/**
 * The barriers of a midpoint against its endpoints (docs/papers.md §3.7), at α = 0.5 with
 * the endpoints' average as the reference:
 * accuracy barrier = ½(acc_A + acc_B) − acc_½, loss barrier = loss_½ − ½(loss_A + loss_B).
 */
export function barriers(endpointA: Score, endpointB: Score, midpoint: Score): { accuracyBarrier: number; lossBarrier: number } {
  return {
    accuracyBarrier: (endpointA.accuracy + endpointB.accuracy) / 2 - midpoint.accuracy,
    lossBarrier: midpoint.loss - (endpointA.loss + endpointB.loss) / 2,
  };
}

/** Relative barrier reduction of a fix against the permuted-only barrier: 1 − B_fixed / B_permuted. */
export function barrierReduction(permuted: number, fixed: number): number {
  return permuted === 0 ? 0 : 1 - fixed / permuted;
}

/**
 * Accuracy and loss along the line between two weight maps: `make(α)` builds the
 * (repaired, if wanted) weights at α, `score` measures them; the weights are
 * disposed after scoring. Returns `{ alphas, accuracy, loss }`.
 */
export async function barrierCurve(
  alphas: readonly number[],
  make: (alpha: number) => Promise<Record<string, tf.Tensor>> | Record<string, tf.Tensor>,
  score: (weights: Record<string, tf.Tensor>) => Promise<Score> | Score,
  dispose: (weights: Record<string, tf.Tensor>) => void,
): Promise<{ alphas: number[]; accuracy: number[]; loss: number[] }> {
  if (alphas.length === 0 || alphas.some((a) => !(a >= 0 && a <= 1))) throw new InvalidArgumentError('alphas', `barrierCurve: alphas must be in [0, 1], got [${alphas.join(', ')}].`);
  const accuracy: number[] = [];
  const loss: number[] = [];
  for (const alpha of alphas) {
    const weights = await make(alpha);
    try {
      const s = await score(weights);
      accuracy.push(s.accuracy);
      loss.push(s.loss);
    } finally {
      dispose(weights);
    }
  }
  return { alphas: [...alphas], accuracy, loss };
}
