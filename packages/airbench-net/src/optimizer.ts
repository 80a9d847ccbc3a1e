import * as tf from '@tensorflow/tfjs-core';
import { MomentumBuffers } from './momentum-buffers';

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

export class NesterovSgd extends MomentumBuffers {
  constructor(private readonly momentum: number) {
    super();
  }

  /** One step: `grads` holds the parameters that have a gradient; `multiplier` is the schedule's lr factor. */
  step(params: Record<string, tf.Variable>, grads: Record<string, tf.Tensor>, groupOf: (name: string) => ParameterGroup, multiplier: number): void {
    const mu = this.momentum;
    for (const [name, grad] of Object.entries(grads)) {
      const param = params[name]!;
      const { lr, weightDecay } = groupOf(name);
      tf.tidy(() => {
        const g = tf.add(grad, tf.mul(param, weightDecay));
        const buffer = this.accumulate(name, g, mu);
        param.assign(tf.sub(param, tf.mul(tf.add(g, tf.mul(buffer, mu)), lr * multiplier)));
      });
    }
  }
}
