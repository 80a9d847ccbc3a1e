import * as tf from '@tensorflow/tfjs-core';

// ---------------------------------------------------------------------------
// Nesterov SGD with PyTorch's semantics (docs/papers.md §1.3)
// ---------------------------------------------------------------------------
//
//   g   = grad + λ·θ              (decay is added to the gradient, "coupled")
//   buf = μ·buf + g               (buf = g on a parameter's first step)
//   θ  ← θ − lr_t·(g + μ·buf)
//
// A parameter without a gradient this step (the frozen whitening bias) is
// skipped entirely: no decay, no momentum. tfjs's own momentum optimiser
// differs (it scales the accumulator by lr), hence this file.

export interface ParameterGroup {
  lr: number;
  weightDecay: number;
}

export class NesterovSgd {
  private readonly buffers = new Map<string, tf.Variable>();

  constructor(private readonly momentum: number) {}

  /** One step: `grads` holds the parameters that have a gradient; `multiplier` is the schedule's lr factor. */
  step(params: Record<string, tf.Variable>, grads: Record<string, tf.Tensor>, groupOf: (name: string) => ParameterGroup, multiplier: number): void {
    const mu = this.momentum;
    for (const [name, grad] of Object.entries(grads)) {
      const param = params[name]!;
      const { lr, weightDecay } = groupOf(name);
      tf.tidy(() => {
        const g = tf.add(grad, tf.mul(param, weightDecay));
        const previous = this.buffers.get(name);
        const buffer = previous ? tf.add(tf.mul(previous, mu), g) : g;
        if (previous) previous.assign(buffer);
        else this.buffers.set(name, tf.variable(buffer, false));
        param.assign(tf.sub(param, tf.mul(tf.add(g, tf.mul(buffer, mu)), lr * multiplier)));
      });
    }
  }

  /** The momentum buffers by parameter name: only parameters that have had a gradient (read them, do not dispose them). */
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
