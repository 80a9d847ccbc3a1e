import * as tf from '@tensorflow/tfjs-core';
import type { AirbenchModel } from './network';

/**
 * The lookahead-like EMA of hlb-CIFAR10 (SPEC §1.3): a slow copy of the whole
 * state (weights and BatchNorm statistics). `update(d)` sets slow ← d·slow +
 * (1−d)·fast and then fast ← slow, i.e. the fast weights are pulled back.
 */
export class Lookahead {
  private readonly slow: Map<tf.Variable, tf.Variable>;

  /** Snapshots the state as it is now (airbench: at construction, before the whitening init). */
  constructor(model: AirbenchModel) {
    this.slow = new Map(
      [...Object.values(model.params), ...Object.values(model.buffers)].map((fast) => [fast, tf.variable(fast, false)] as const),
    );
  }

  update(decay: number): void {
    tf.tidy(() => {
      for (const [fast, slow] of this.slow) {
        slow.assign(tf.add(tf.mul(slow, decay), tf.mul(fast, 1 - decay)));
        fast.assign(slow);
      }
    });
  }

  dispose(): void {
    tf.dispose([...this.slow.values()]);
    this.slow.clear();
  }
}
