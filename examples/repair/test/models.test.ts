import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { checkEquivalence, permuteWeights, validateSpec, type PermutationSpec } from '@airbench-ts/neuron-align';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../src/main';
import type { Options } from '../src/options';
import { batchNorm, relu, triangular } from '@airbench-ts-example/models';

// Every model of the example: its spec covers every tensor, permuting by it
// keeps the function (float32 noise), and a spec missing one consumer axis does
// not. Narrow widths, random weights and inputs, the cpu backend: no training.
beforeAll(async () => {
  await tf.setBackend('cpu');
});

const shuffle = (n: number, seed: number) => {
  let s = seed;
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
};

const cases: [string, Pick<Options, 'model' | 'norm' | 'width' | 'depth' | 'epochs'>][] = [
  ['mlp', { model: 'mlp', norm: 'none', width: 16, depth: 3, epochs: 1 }],
  ['vgg11', { model: 'vgg11', norm: 'none', width: 0.0625, depth: 1, epochs: 1 }],
  ['resnet20 BN', { model: 'resnet20', norm: 'batch', width: 0.25, depth: 1, epochs: 1 }],
  ['resnet20 LN', { model: 'resnet20', norm: 'layer', width: 0.25, depth: 1, epochs: 1 }],
  ['airbench94 LN', { model: 'airbench94', norm: 'layer', width: 0.125, depth: 1, epochs: 1 }],
];

describe('permutation specs of the example models', () => {
  it.each(cases)('%s: every tensor covered, permuting keeps the function, a missing axis breaks it', (_, options) => {
    const model = buildModel(options);
    if (model.training.kind !== 'recipe') {
      // airbench94's weights come from airbench-net; its spec is tested there. Check the wiring: spec and sites name real tensors.
      expect(Object.keys(model.spec.groups).length).toBeGreaterThan(0);
      expect(model.sites.every((s) => s.weight.endsWith('.weight'))).toBe(true);
      return;
    }
    const { weights } = model.training.init(3);
    // Random BN statistics and norm parameters, so that their permutation matters too.
    for (const [name, v] of Object.entries(weights)) if (v.rank === 1) v.assign(tf.randomUniform(v.shape, 0.5, 1.5, 'float32', name.length));
    const shapes = Object.fromEntries(Object.entries(weights).map(([n, t]) => [n, t.shape]));
    expect(JSON.parse(JSON.stringify(model.spec))).toEqual(model.spec);
    const { untouched } = validateSpec(model.spec, shapes);
    expect(untouched.sort()).toEqual(['head.bias']);
    const perms = Object.fromEntries(Object.entries(model.spec.groups).map(([g, { size }], k) => [g, shuffle(size, k + 1)]));
    const x = tf.randomNormal([4, 32, 32, 3], 0, 1, 'float32', 1);
    const forward = (w: Readonly<Record<string, tf.Tensor>>, inputs: tf.Tensor) => model.forward(w, inputs, { normalization: 'running' });
    const permuted = permuteWeights(weights, model.spec, perms);
    const same = checkEquivalence(forward, weights, permuted, x);
    expect(same.maxAbsDifference).toBeLessThan(1e-5 * Math.max(1, same.maxAbsOutput));
    // Drop the last group's consumer (an input axis, or the head's): the function changes.
    const last = Object.keys(model.spec.groups).at(-1)!;
    const group = model.spec.groups[last]!;
    const broken: PermutationSpec = { groups: { ...model.spec.groups, [last]: { ...group, axes: group.axes.filter((a) => !(a.parameter === 'head.weight' || a.axis === 2 || (a.axis === 0 && a.parameter.endsWith('.weight') && shapes[a.parameter]!.length === 2))) } } };
    const wrong = permuteWeights(weights, broken, perms);
    expect(checkEquivalence(forward, weights, wrong, x).maxAbsDifference).toBeGreaterThan(1e-3);
    tf.dispose([x, ...Object.values(weights), ...Object.values(permuted), ...Object.values(wrong)]);
  });
});

describe('triangular learning rate', () => {
  it('rises linearly to 1 over the warm-up, then falls linearly to 0', () => {
    const lr = Array.from({ length: 10 }, (_, step) => triangular(step, 10, 0.2));
    expect(lr.map((v) => Number(v.toFixed(3)))).toEqual([0.5, 1, 1, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125]);
  });
});

describe('an endpoint training stopped and started again', () => {
  it('resumes from its stored state to the same weights, bit for bit; a damaged state is refused and it trains from the start', async () => {
    const { loadCifar10 } = await import('@airbench-ts/cifar-data');
    const { trainEndpoint, mlp } = await import('@airbench-ts-example/models');
    await import('@tensorflow/tfjs-core/dist/register_all_gradients');
    const { train } = await loadCifar10({ progress: false });
    const images = { images: train.images.subarray(0, 1000 * 3072), labels: train.labels.subarray(0, 1000), length: 1000 };
    const model = mlp({ width: 16, depth: 2, epochs: 2 }); // batch 500: 2 steps an epoch, 4 in all
    let steps: number[] = [];
    let resumes: [number, number][] = [];
    const run = async (stored: Uint8Array | null, saved: Uint8Array[] = [], warnings: string[] = [], signal?: AbortSignal, onStep?: (step: number) => void) => {
      steps = [];
      resumes = [];
      const weights = await trainEndpoint(model, 4, images, () => [], (step) => (steps.push(step), onStep?.(step)), 'random', {
        key: 'mlp-16x2-seed4',
        everySteps: 3,
        load: async () => stored,
        save: async (bytes) => void saved.push(bytes),
        onWarning: (message) => void warnings.push(message),
        onResume: (step, total) => void resumes.push([step, total]),
        ...(signal ? { signal } : {}),
      });
      const values = Object.fromEntries(Object.entries(weights).map(([name, t]) => [name, Array.from(t.dataSync())]));
      tf.dispose(Object.values(weights));
      return values;
    };
    const states: Uint8Array[] = [];
    const uninterrupted = await run(null, states);
    expect(states).toHaveLength(1); // after step 3: mid-way through epoch 1
    expect(steps).toEqual([1, 2, 3, 4]);
    expect(await run(states[0]!)).toEqual(uninterrupted);
    expect(steps).toEqual([4]); // only the step after the state was trained
    expect(resumes).toEqual([[3, 4]]); // and the caller was told where it resumed
    const damaged = states[0]!.slice();
    damaged[damaged.length - 5]! ^= 0xff;
    const warnings: string[] = [];
    expect(await run(damaged, [], warnings)).toEqual(uninterrupted);
    expect(steps).toEqual([1, 2, 3, 4]);
    expect(resumes).toEqual([]);
    expect(warnings[0]).toMatch(/the endpoint checkpoint: its tensors are damaged \(SHA-256 differs\); training from the start\./);

    // Stopped (the CLI aborts on Ctrl-C) while step 2 runs: the state after step 2 is saved, then the training rejects.
    const stop = new AbortController();
    const atStop: Uint8Array[] = [];
    await expect(run(null, atStop, [], stop.signal, (step) => step === 2 && stop.abort(new Error('stopped')))).rejects.toThrow('stopped');
    expect(steps).toEqual([1, 2]);
    expect(atStop).toHaveLength(1);
    expect(await run(atStop[0]!)).toEqual(uninterrupted);
    expect(resumes).toEqual([[2, 4]]);
    expect(steps).toEqual([3, 4]);
  });
});

describe('the layers\' arithmetic', () => {
  it('relu: the gradient is tfjs\'s own, bit for bit (zero at 0, dy above)', async () => {
    const x = tf.tensor1d([-2, -0.5, 0, 0.25, 3, -1e-30, 1e-30]);
    const dy = tf.tensor1d([0.3, -1.7, 2, 5, -0.125, 9, 11]);
    const [ours, theirs] = [relu, tf.relu].map((f) => tf.grad((v: tf.Tensor) => f(v))(x, dy));
    expect(Array.from(await ours!.data())).toEqual(Array.from(await theirs!.data()));
    expect(Array.from(await ours!.data())).toEqual([0, -0, 0, 5, -0.125, 0, 11]); // dy · 0 keeps dy's sign, as tfjs's does
    expect(Array.from(await relu(x).data())).toEqual(Array.from(await tf.relu(x).data()));
    tf.dispose([x, dy, ours!, theirs!]);
  });

  it('batchNorm: the textbook (x − mean)/√(var + ε)·w + b in both modes, and its gradients, to float32 rounding', async () => {
    const x = tf.randomNormal([6, 5, 5, 4], 1.5, 2, 'float32', 7);
    const w = { 'bn.weight': tf.tensor1d([0.5, 1, 1.5, 2]), 'bn.bias': tf.tensor1d([0.1, -0.2, 0.3, 0]), 'bn.runningMean': tf.tensor1d([1, 2, 0, -1]), 'bn.runningVar': tf.tensor1d([4, 1, 0.5, 2]) };
    const textbook = (v: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, mode: 'batch' | 'running') => {
      const { mean, variance } = mode === 'batch' ? tf.moments(v, [0, 1, 2]) : { mean: w['bn.runningMean'], variance: w['bn.runningVar'] };
      return tf.add(tf.mul(tf.div(tf.sub(v, mean), tf.sqrt(tf.add(variance, 1e-5))), weight), bias);
    };
    const upstream = tf.randomNormal(x.shape, 0, 1, 'float32', 8);
    for (const mode of ['batch', 'running'] as const) {
      const ours = (v: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor) => batchNorm('bn', v, { ...w, 'bn.weight': weight, 'bn.bias': bias }, { normalization: mode });
      const theirs = (v: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor) => textbook(v, weight, bias, mode);
      const maxDiff = async (a: tf.Tensor, b: tf.Tensor) => (await tf.max(tf.abs(tf.sub(a, b))).data())[0]!;
      expect(await maxDiff(ours(x, w['bn.weight'], w['bn.bias']), theirs(x, w['bn.weight'], w['bn.bias']))).toBeLessThan(1e-5);
      const [gOurs, gTheirs] = [ours, theirs].map((f) => tf.grads((v: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => f(v, a, b))([x, w['bn.weight'], w['bn.bias']], upstream));
      for (let k = 0; k < 3; k++) expect(await maxDiff(gOurs![k]!, gTheirs![k]!)).toBeLessThan(1e-4);
      // Training mode: the gradient flows through the batch statistics (a sum over the batch of dx is 0 per channel).
      if (mode === 'batch') expect(Math.max(...Array.from(await tf.abs(tf.sum(gOurs![0]!, [0, 1, 2])).data()))).toBeLessThan(1e-3);
    }
    tf.dispose([x, upstream, ...Object.values(w)]);
  });
});
