import * as tf from '@tensorflow/tfjs-core';
import type { AirbenchModel } from './network';

/**
 * The lookahead-like EMA of hlb-CIFAR10 (docs/papers.md §1.3): a slow copy of the whole
 * state (weights and BatchNorm statistics). `update(d)` sets slow ← d·slow +
 * (1−d)·fast and then fast ← slow, i.e. the fast weights are pulled back.
 */
export class Lookahead {
  /** By the model's names: its params, then its buffers. */
  private readonly pairs: Map<string, { fast: tf.Variable; slow: tf.Variable }>;

  /** Snapshots the state as it is now (airbench: at construction, before the whitening init). */
  constructor(model: AirbenchModel) {
    this.pairs = new Map(
      Object.entries({ ...model.params, ...model.buffers }).map(([name, fast]) => [name, { fast, slow: tf.variable(fast, false) }] as const),
    );
  }

  update(decay: number): void {
    tf.tidy(() => {
      for (const { fast, slow } of this.pairs.values()) {
        slow.assign(tf.add(tf.mul(slow, decay), tf.mul(fast, 1 - decay)));
        fast.assign(slow);
      }
    });
  }

  /** The slow copies by the model's names (read them, do not dispose them). */
  get state(): ReadonlyMap<string, tf.Variable> {
    return new Map([...this.pairs].map(([name, { slow }]) => [name, slow]));
  }

  /** Sets the slow copies (resuming a training); every name of the model must be given. */
  setState(values: Record<string, tf.Tensor>): void {
    for (const [name, { slow }] of this.pairs) slow.assign(values[name]!);
  }

  dispose(): void {
    tf.dispose([...this.pairs.values()].map(({ slow }) => slow));
    this.pairs.clear();
  }
}
