import * as tf from '@tensorflow/tfjs-core';
import type { PermutationGroup } from '@airbench-ts/neuron-align';
import type { WeightMap } from '@airbench-ts/repair';
import { kaimingNormal, relu, uniformFanIn, variable, withRepairBias } from './layers';
import type { ExampleModel } from './model';

/** kuangliu's VGG11 cfg: conv3×3 widths, 'M' = max-pool 2 (docs/papers.md §3.3). */
const VGG11 = [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'] as const;

/**
 * VGG11 without normalisation (conv bias, ReLU), every conv's width × `width`,
 * then global average pool (1×1 here) and a linear classifier. Matched on each
 * conv's post-ReLU output; REPAIR corrects each conv's preactivation.
 */
export function vgg11(options: { width: number; epochs: number }): ExampleModel {
  const convs = VGG11.filter((c) => c !== 'M').map((c, k) => ({ name: `conv${k + 1}`, channels: Math.max(1, Math.round(c * options.width)) }));
  const groups: Record<string, PermutationGroup> = {};
  convs.forEach(({ name, channels }, k) => {
    const next = k + 1 < convs.length ? { parameter: `${convs[k + 1]!.name}.weight`, axis: 2 } : { parameter: 'head.weight', axis: 0 };
    groups[name] = { size: channels, activation: `${name}.relu`, axes: [{ parameter: `${name}.weight`, axis: 3 }, { parameter: `${name}.bias`, axis: 0 }, next] };
  });
  return {
    label: `vgg11 ×${options.width}`,
    spec: { groups },
    sites: convs.map(({ name }) => ({ name, weight: `${name}.weight`, bias: `${name}.bias`, axis: 3 })),
    // The VGG11 demo's recipe (docs/papers.md §3.8): lr 0.08, momentum 0.9, wd 5e-4, batch 500, triangular; fewer epochs.
    training: {
      kind: 'recipe',
      recipe: { epochs: options.epochs, batchSize: 500, lr: 0.08, momentum: 0.9, weightDecay: 5e-4, warmupFraction: 0.2, translate: 4 },
      init(seed) {
        const weights: Record<string, tf.Variable> = {};
        let cin = 3;
        convs.forEach(({ name, channels }, k) => {
          weights[`${name}.weight`] = variable(`${name}.weight`, kaimingNormal([3, 3, cin, channels], cin * 9, seed * 1000 + 2 * k));
          weights[`${name}.bias`] = variable(`${name}.bias`, uniformFanIn([channels], cin * 9, seed * 1000 + 2 * k + 1));
          cin = channels;
        });
        weights['head.weight'] = variable('head.weight', uniformFanIn([cin, 10], cin, seed * 1000 + 100));
        weights['head.bias'] = variable('head.bias', uniformFanIn([10], cin, seed * 1000 + 101));
        return { weights, trainable: Object.keys(weights) };
      },
    },
    forward(w: WeightMap, x, { at = (_site, v) => v }) {
      let h = x as tf.Tensor4D;
      let k = 0;
      for (const c of VGG11) {
        if (c === 'M') {
          h = tf.maxPool(h, 2, 2, 'valid');
          continue;
        }
        const { name } = convs[k++]!;
        const z = withRepairBias(name, tf.add(tf.conv2d(h, w[`${name}.weight`] as tf.Tensor4D, 1, 'same'), w[`${name}.bias`]!), w);
        h = at(`${name}.relu`, relu(at(name, z))) as tf.Tensor4D;
      }
      const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
      return tf.add(tf.matMul(pooled, w['head.weight'] as tf.Tensor2D), w['head.bias']!);
    },
  };
}
