import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { checkEquivalence, permuteWeights, SpecError, validateSpec, type PermutationSpec } from '@airbench-ts/neuron-align';
import { beforeAll, describe, expect, it } from 'vitest';
import { disposeModel, forward, makeConfig, makeNet, permutationSpec, type AirbenchModel } from '../src/index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Random BN statistics, so the buffers' permutation matters too. */
function withRandomBuffers(model: AirbenchModel): void {
  let s = 7;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  for (const [name, buffer] of Object.entries(model.buffers)) {
    buffer.assign(tf.tensor1d(Float32Array.from({ length: buffer.size }, () => (name.endsWith('Var') || name.endsWith('.weight') ? 0.5 + u() : u() - 0.5))));
  }
  for (const [name, param] of Object.entries(model.params)) if (name.endsWith('.bias')) param.assign(tf.tensor1d(Float32Array.from({ length: param.size }, () => u() - 0.5)));
}

const randomPerms = (spec: PermutationSpec, seed: number) => {
  let s = seed;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return Object.fromEntries(
    Object.entries(spec.groups).map(([name, g]) => {
      const p = Int32Array.from({ length: g.size }, (_, i) => i);
      for (let i = p.length - 1; i > 0; i--) {
        const j = Math.floor(u() * (i + 1));
        [p[i], p[j]] = [p[j]!, p[i]!];
      }
      return [name, p];
    }),
  );
};

describe('permutationSpec', () => {
  it.each([
    ['airbench94', 'batch'],
    ['airbench94', 'layer'],
    ['airbench94', 'none'],
    ['airbench96', 'batch'],
    ['airbench96-legacy', 'layer'],
  ] as const)('%s, norm %s: every weight and buffer is covered, and permuting keeps the function', (variant, norm) => {
    const config = makeConfig(variant, { widths: [8, 12, 16], norm });
    const model = makeNet(config, 3);
    withRandomBuffers(model);
    const weights = { ...model.params, ...model.buffers } as Record<string, tf.Tensor>;
    const spec = permutationSpec(config);
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec); // plain data
    expect(validateSpec(spec, Object.fromEntries(Object.entries(weights).map(([n, t]) => [n, t.shape])))).toEqual({ untouched: [] });
    const run = (w: Readonly<Record<string, tf.Tensor>>, x: tf.Tensor) => {
      const net = { config, params: w as Record<string, tf.Variable>, buffers: w as Record<string, tf.Variable> };
      return forward(net, x as tf.Tensor4D, { training: false }).logits;
    };
    const x = tf.randomNormal([4, 32, 32, 3], 0, 1, 'float32', 1);
    const permuted = permuteWeights(weights, spec, randomPerms(spec, 5));
    const { maxAbsDifference, maxAbsOutput } = checkEquivalence(run, weights, permuted, x);
    expect(maxAbsDifference).toBeLessThan(1e-5 * Math.max(1, maxAbsOutput));
    // Leave out one consumer's input axis and the function changes.
    const group = Object.keys(spec.groups)[1]!;
    const broken: PermutationSpec = { groups: { ...spec.groups, [group]: { ...spec.groups[group]!, axes: spec.groups[group]!.axes.filter((a) => a.axis !== 2 && a.parameter !== 'head.weight') } } };
    const wrong = permuteWeights(weights, broken, randomPerms(spec, 5));
    expect(checkEquivalence(run, weights, wrong, x).maxAbsDifference).toBeGreaterThan(1e-3);
    tf.dispose([x, ...Object.values(permuted), ...Object.values(wrong)]);
    disposeModel(model);
  });

  it('is refused by the validator when a conv axis is given as in PyTorch (OIHW)', () => {
    const config = makeConfig('airbench94', { widths: [8, 12, 16] });
    const spec = permutationSpec(config);
    const model = makeNet(config, 0);
    const shapes = Object.fromEntries(Object.entries({ ...model.params, ...model.buffers }).map(([n, t]) => [n, t.shape]));
    const torchStyle: PermutationSpec = { groups: { ...spec.groups, 'block1.conv1': { ...spec.groups['block1.conv1']!, axes: [{ parameter: 'block1.conv1.weight', axis: 0 }] } } };
    expect(() => validateSpec(torchStyle, shapes)).toThrow(SpecError);
    expect(() => validateSpec(torchStyle, shapes)).toThrow(/axis 0 of 'block1\.conv1\.weight' \(shape \[3, 3, 24, 8\]\) has 3.*HWIO/);
    disposeModel(model);
  });
});
