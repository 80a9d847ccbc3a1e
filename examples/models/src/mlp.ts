import * as tf from '@tensorflow/tfjs-core';
import type { PermutationGroup } from '@airbench-ts/neuron-align';
import type { WeightMap } from '@airbench-ts/repair';
import { kaimingNormal, relu, uniformFanIn, variable, withRepairBias } from './layers';
import type { ExampleModel } from './model';

/**
 * The MLP of docs/papers.md §3.3: 3072 → `width` → … (`depth` hidden layers, ReLU) → 10.
 * Matched on each hidden layer's post-ReLU output; REPAIR corrects each hidden
 * layer's preactivation (not the classifier's).
 */
export function mlp(options: { width: number; depth: number; epochs: number }): ExampleModel {
  const { width, depth } = options;
  const hidden = Array.from({ length: depth }, (_, k) => `fc${k + 1}`);
  const groups: Record<string, PermutationGroup> = {};
  hidden.forEach((name, k) => {
    const next = k + 1 < depth ? hidden[k + 1]! : 'head';
    groups[name] = {
      size: width,
      activation: `${name}.relu`,
      axes: [
        { parameter: `${name}.weight`, axis: 1 },
        { parameter: `${name}.bias`, axis: 0 },
        { parameter: `${next}.weight`, axis: 0 },
      ],
    };
  });
  return {
    label: `mlp ${depth}×${width}`,
    spec: { groups },
    sites: hidden.map((name) => ({ name, weight: `${name}.weight`, bias: `${name}.bias`, axis: 1 })),
    // The dataset MLPs' recipe (docs/papers.md §3.8) shortened: batch 500 instead of 2000, so a short run still takes enough steps.
    training: {
      kind: 'recipe',
      recipe: { epochs: options.epochs, batchSize: 500, lr: 0.05, momentum: 0.9, weightDecay: 5e-4, warmupFraction: 0.2, translate: 4 },
      init(seed) {
        const weights: Record<string, tf.Variable> = {};
        let fanIn = 3072;
        [...hidden, 'head'].forEach((name, k) => {
          const out = name === 'head' ? 10 : width;
          weights[`${name}.weight`] = variable(`${name}.weight`, kaimingNormal([fanIn, out], fanIn, seed * 1000 + 2 * k));
          weights[`${name}.bias`] = variable(`${name}.bias`, uniformFanIn([out], fanIn, seed * 1000 + 2 * k + 1));
          fanIn = out;
        });
        return { weights, trainable: Object.keys(weights) };
      },
    },
    forward(w: WeightMap, x, { at = (_site, v) => v }) {
      let h = tf.reshape(x, [x.shape[0]!, -1]) as tf.Tensor2D;
      for (const name of hidden) {
        const z = withRepairBias(name, tf.add(tf.matMul(h, w[`${name}.weight`] as tf.Tensor2D), w[`${name}.bias`]!), w);
        h = at(`${name}.relu`, relu(at(name, z))) as tf.Tensor2D;
      }
      return tf.add(tf.matMul(h, w['head.weight'] as tf.Tensor2D), w['head.bias']!);
    },
  };
}
