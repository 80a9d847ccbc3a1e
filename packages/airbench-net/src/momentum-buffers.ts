import * as tf from '@tensorflow/tfjs-core';

/**
 * One momentum buffer per parameter that has had a gradient, by name: what both
 * optimisers (optimizer.ts, muon.ts) keep between steps, and what a training
 * state saves and restores.
 */
export class MomentumBuffers {
  protected readonly buffers = new Map<string, tf.Variable>();

  /** μ·buf + g (buf = g on the parameter's first step); the buffer is updated in place. Call inside tf.tidy. */
  protected accumulate(name: string, grad: tf.Tensor, mu: number): tf.Tensor {
    const previous = this.buffers.get(name);
    const buffer = previous ? tf.add(tf.mul(previous, mu), grad) : grad;
    if (previous) previous.assign(buffer);
    else this.buffers.set(name, tf.variable(buffer, false));
    return buffer;
  }

  /** The buffers by parameter name: only parameters that have had a gradient (read them, do not dispose them). */
  get state(): ReadonlyMap<string, tf.Variable> {
    return this.buffers;
  }

  /** Replaces every buffer with a copy of these values (resuming a training); a name left out has had no gradient yet. */
  setState(values: Record<string, tf.Tensor>): void {
    this.dispose();
    for (const [name, value] of Object.entries(values)) this.buffers.set(name, tf.variable(value, false));
  }

  dispose(): void {
    tf.dispose([...this.buffers.values()]);
    this.buffers.clear();
  }
}
