import * as tf from '@tensorflow/tfjs-core';
import type { PermutationGroup } from '@airbench-ts/neuron-align';
import type { CorrectionSite, NormLayer, WeightMap } from '@airbench-ts/repair';
import { batchNorm, kaimingNormal, layerNorm, relu, variable } from './layers';
import type { ExampleModel } from './model';

/**
 * ResNet20 for CIFAR (docs/papers.md §3.3): stem conv3×3 → norm → ReLU, 3 stages × 3
 * BasicBlocks of 16w/32w/64w channels (stride 2 and a conv3×3 stride-2 + norm
 * shortcut where the shape changes), global average pool, linear. Norm 'batch'
 * (no conv biases) or 'layer' (LayerNorm2d over each pixel's channels, convs
 * with biases). Permutations: one per block inside it (matched on relu(norm1)),
 * one per stage for its residual stream (matched on the stage's output).
 * REPAIR: BN networks reset their BNs; LN networks correct every LN's output.
 */
export function resnet20(options: { width: number; norm: 'batch' | 'layer'; epochs: number }): ExampleModel {
  const { norm } = options;
  const widths = [16, 32, 64].map((c) => Math.max(1, Math.round(c * options.width)));
  const stages = widths.map((channels, i) => ({ channels, blocks: [0, 1, 2].map((j) => `s${i + 1}.b${j}`) }));
  const convs: { name: string; norm: string; cin: number; cout: number; stride: number }[] = [{ name: 'stem.conv', norm: 'stem.norm', cin: 3, cout: widths[0]!, stride: 1 }];
  stages.forEach(({ channels, blocks }, i) =>
    blocks.forEach((b, j) => {
      const cin = j === 0 && i > 0 ? widths[i - 1]! : channels;
      const stride = j === 0 && i > 0 ? 2 : 1;
      convs.push({ name: `${b}.conv1`, norm: `${b}.norm1`, cin, cout: channels, stride }, { name: `${b}.conv2`, norm: `${b}.norm2`, cin: channels, cout: channels, stride: 1 });
      if (cin !== channels) convs.push({ name: `${b}.shortcut.conv`, norm: `${b}.shortcut.norm`, cin, cout: channels, stride });
    }),
  );
  const normParams = norm === 'batch' ? ['weight', 'bias', 'runningMean', 'runningVar'] : ['weight', 'bias'];
  const producer = (conv: string, normName: string) => [
    { parameter: `${conv}.weight`, axis: 3 },
    ...(norm === 'layer' ? [{ parameter: `${conv}.bias`, axis: 0 }] : []),
    ...normParams.map((p) => ({ parameter: `${normName}.${p}`, axis: 0 })),
  ];
  const groups: Record<string, PermutationGroup> = {};
  stages.forEach(({ channels, blocks }, i) => {
    for (const b of blocks) groups[`${b}.inner`] = { size: channels, activation: `${b}.relu1`, axes: [...producer(`${b}.conv1`, `${b}.norm1`), { parameter: `${b}.conv2.weight`, axis: 2 }] };
    const next = stages[i + 1];
    groups[`s${i + 1}.stream`] = {
      size: channels,
      activation: `${blocks[2]}.out`,
      axes: [
        ...(i === 0 ? producer('stem.conv', 'stem.norm') : producer(`${blocks[0]}.shortcut.conv`, `${blocks[0]}.shortcut.norm`)),
        ...blocks.flatMap((b) => producer(`${b}.conv2`, `${b}.norm2`)),
        ...blocks.filter((_, j) => i === 0 || j > 0).map((b) => ({ parameter: `${b}.conv1.weight`, axis: 2 })),
        ...(next
          ? [{ parameter: `${next.blocks[0]}.conv1.weight`, axis: 2 }, { parameter: `${next.blocks[0]}.shortcut.conv.weight`, axis: 2 }]
          : [{ parameter: 'head.weight', axis: 0 }]),
      ],
    };
  });
  const sites: CorrectionSite[] = norm === 'layer' ? convs.map((c) => ({ name: c.norm, weight: `${c.norm}.weight`, bias: `${c.norm}.bias`, axis: 0 })) : [];
  const norms: NormLayer[] = norm === 'batch' ? convs.map((c) => ({ input: `${c.norm}.input`, mean: `${c.norm}.runningMean`, variance: `${c.norm}.runningVar` })) : [];
  const byName = new Map(convs.map((c) => [c.name, c]));

  return {
    label: `resnet20 ×${options.width} ${norm === 'batch' ? 'BN' : 'LN'}`,
    spec: { groups },
    sites,
    norms,
    // The ResNet20 recipe (docs/papers.md §3.8): lr 0.4, momentum 0.9, batch 500; the ×4 demo's wd 5e-4 for short runs.
    // The LayerNorm network does not train at 0.4 or 0.2 in few epochs (at 0.2 one endpoint of the 3-epoch run
    // stayed at chance): it takes 0.1 and starts each block's residual branch at zero (norm2's scale = 0,
    // "zero-init residual"), which took a 2,000-image probe from loss 2.39 to 2.05 in 20 steps.
    training: {
      kind: 'recipe',
      recipe: { epochs: options.epochs, batchSize: 500, lr: norm === 'batch' ? 0.4 : 0.1, momentum: 0.9, weightDecay: 5e-4, warmupFraction: 0.2, translate: 4 },
      init(seed) {
        const weights: Record<string, tf.Variable> = {};
        const trainable: string[] = [];
        convs.forEach((c, k) => {
          weights[`${c.name}.weight`] = variable(`${c.name}.weight`, kaimingNormal([3, 3, c.cin, c.cout], 9 * c.cin, seed * 1000 + k));
          if (norm === 'layer') weights[`${c.name}.bias`] = variable(`${c.name}.bias`, tf.zeros([c.cout]));
          const zeroResidual = norm === 'layer' && c.norm.endsWith('.norm2');
          weights[`${c.norm}.weight`] = variable(`${c.norm}.weight`, zeroResidual ? tf.zeros([c.cout]) : tf.ones([c.cout]));
          weights[`${c.norm}.bias`] = variable(`${c.norm}.bias`, tf.zeros([c.cout]));
          if (norm === 'batch') {
            weights[`${c.norm}.runningMean`] = variable(`${c.norm}.runningMean`, tf.zeros([c.cout]), false);
            weights[`${c.norm}.runningVar`] = variable(`${c.norm}.runningVar`, tf.ones([c.cout]), false);
          }
        });
        weights['head.weight'] = variable('head.weight', kaimingNormal([widths[2]!, 10], widths[2]!, seed * 1000 + 999));
        weights['head.bias'] = variable('head.bias', tf.zeros([10]));
        for (const name of Object.keys(weights)) if (!name.includes('running')) trainable.push(name);
        return { weights, trainable };
      },
    },
    forward(w: WeightMap, x, options) {
      const at = options.at ?? ((_site, v) => v);
      // conv → norm (BN: running or batch statistics; LN), reported to `at` under the norm's name.
      const convNorm = (name: string, h: tf.Tensor) => {
        const c = byName.get(name)!;
        let z: tf.Tensor = tf.conv2d(h as tf.Tensor4D, w[`${name}.weight`] as tf.Tensor4D, c.stride, 'same');
        if (norm === 'layer') z = tf.add(z, w[`${name}.bias`]!);
        z = at(name, z);
        return at(c.norm, norm === 'batch' ? batchNorm(c.norm, z, w, options) : layerNorm(c.norm, z, w));
      };
      let h = relu(convNorm('stem.conv', x));
      for (const { blocks } of stages) {
        for (const b of blocks) {
          const inner = at(`${b}.relu1`, relu(convNorm(`${b}.conv1`, h)));
          const shortcut = byName.has(`${b}.shortcut.conv`) ? convNorm(`${b}.shortcut.conv`, h) : h;
          h = at(`${b}.out`, relu(tf.add(convNorm(`${b}.conv2`, inner), shortcut)));
        }
      }
      const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
      return tf.add(tf.matMul(pooled, w['head.weight'] as tf.Tensor2D), w['head.bias']!);
    },
  };
}
