import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONFIGS, disposeModel, forward, initWhitening, makeConfig, makeNet } from '../src/index';
import { gelu } from '../src/network';
import { patchSecondMoment } from '../src/whitening';
import { useFastestBackend } from './backend';
import { cifar10, whiteningImages } from './data';

beforeAll(async () => {
  await useFastestBackend();
});

const count = (model: ReturnType<typeof makeNet>, names: string[]) => names.reduce((n, name) => n + model.params[name]!.size, 0);

describe('makeNet', () => {
  it('has the 1,971,640 parameters of airbench94 (the ablation README count)', () => {
    const model = makeNet(CONFIGS.airbench94, 0);
    expect(count(model, Object.keys(model.params))).toBe(1_971_640);
    expect(model.params['whiten.weight']!.shape).toEqual([2, 2, 3, 24]);
    expect(model.params['block3.conv2.weight']!.shape).toEqual([3, 3, 256, 256]);
    expect(model.params['head.weight']!.shape).toEqual([256, 10]);
    expect(model.params['whiten.weight']!.trainable).toBe(false);
    disposeModel(model);
  });

  it('is a pure function of the seed', () => {
    const config = makeConfig('airbench94', { widths: [8, 16, 16] });
    const [a, b, c] = [makeNet(config, 1), makeNet(config, 1), makeNet(config, 2)];
    expect(a.params['head.weight']!.dataSync()).toEqual(b.params['head.weight']!.dataSync());
    expect(a.params['block2.conv1.weight']!.dataSync()).not.toEqual(c.params['block2.conv1.weight']!.dataSync());
    [a, b, c].forEach(disposeModel);
  });

  it('starts every c_in = c_out conv as an identity, and kaiming-uniform bounds elsewhere', () => {
    const model = makeNet(CONFIGS.airbench94, 3);
    const x = tf.randomNormal<tf.Rank.R4>([2, 5, 5, 64], 0, 1, 'float32', 4);
    const y = tf.conv2d(x, model.params['block1.conv2.weight'] as tf.Tensor4D, 1, 'same');
    expect(tf.max(tf.abs(tf.sub(x, y))).dataSync()[0]).toBeLessThan(1e-6);
    // block2.conv1 (64→256): filters 64.. are U(±1/√(64·9)).
    const w = model.params['block2.conv1.weight']!.arraySync() as number[][][][];
    const randomPart = w.flat(3).filter((_, i) => i % 256 >= 64);
    expect(Math.max(...randomPart.map(Math.abs))).toBeLessThanOrEqual(1 / 24);
    expect(Math.max(...randomPart.map(Math.abs))).toBeGreaterThan(0.9 / 24);
    tf.dispose([x, y]);
    disposeModel(model);
  });
});

describe('forward', () => {
  it('gives [batch, 10] logits and every named activation, in both three-conv variants too', () => {
    for (const variant of ['airbench94', 'airbench96', 'airbench96-legacy'] as const) {
      const config = makeConfig(variant, { widths: [8, 16, 16] });
      const model = makeNet(config, 0);
      const x = tf.randomNormal<tf.Rank.R4>([3, 32, 32, 3], 0, 1, 'float32', 5);
      const { logits, activations } = forward(model, x, { training: false, collect: true });
      expect(logits.shape).toEqual([3, 10]);
      expect(activations.whiten!.shape).toEqual([3, 31, 31, 24]);
      expect(activations['block1.conv1']!.shape).toEqual([3, 31, 31, 8]);
      expect(activations['block1.norm1']!.shape).toEqual([3, 15, 15, 8]);
      expect(activations['block2.out']!.shape).toEqual([3, 7, 7, 16]);
      expect(activations['block3.out']!.shape).toEqual([3, 3, 3, 16]);
      expect(activations.pool!.shape).toEqual([3, 16]);
      expect('block1.norm3' in activations).toBe(variant !== 'airbench94');
      tf.dispose([x, logits, ...Object.values(activations)]);
      disposeModel(model);
    }
  });

  it('updates BatchNorm running stats in training mode: momentum 0.6, unbiased variance', () => {
    const model = makeNet(makeConfig('airbench94', { widths: [8, 16, 16] }), 0);
    const x = tf.randomNormal<tf.Rank.R4>([4, 32, 32, 3], 0, 1, 'float32', 6);
    const { logits, activations } = forward(model, x, { training: true, collect: true });
    const conv = activations['block1.conv1']!;
    const pooled = tf.maxPool(conv as tf.Tensor4D, 2, 2, 'valid');
    const { mean, variance } = tf.moments(pooled, [0, 1, 2]);
    const n = 4 * 15 * 15;
    const expectedMean = tf.mul(mean, 0.4);
    const expectedVar = tf.add(0.6, tf.mul(variance, (0.4 * n) / (n - 1)));
    const runningMean = model.buffers['block1.norm1.runningMean']!.dataSync();
    expectedMean.dataSync().forEach((v, i) => expect(runningMean[i]).toBeCloseTo(v, 5));
    const runningVar = model.buffers['block1.norm1.runningVar']!.dataSync();
    expectedVar.dataSync().forEach((v, i) => expect(runningVar[i]).toBeCloseTo(v, 4));
    // The BN output itself is normalised with the biased batch variance: mean 0, variance ≈ 1.
    const norm = tf.moments(activations['block1.norm1']!, [0, 1, 2]);
    norm.variance.dataSync().forEach((v) => expect(v).toBeCloseTo(1, 3));
    tf.dispose([x, logits, pooled, mean, variance, expectedMean, expectedVar, norm.mean, norm.variance, ...Object.values(activations)]);
    disposeModel(model);
  });
});

describe('norm option', () => {
  it("'layer' normalises the channels of each pixel (scale 1, shift 0 at init); 'none' gives the convs biases and no norm", () => {
    const x = tf.randomNormal<tf.Rank.R4>([2, 32, 32, 3], 0, 1, 'float32', 8);
    const layer = makeNet(makeConfig('airbench94', { widths: [8, 16, 16], norm: 'layer' }), 0);
    expect(Object.keys(layer.buffers).filter((n) => n.includes('running'))).toEqual([]);
    expect(layer.buffers['block2.norm1.weight']!.shape).toEqual([16]);
    const { logits, activations } = forward(layer, x, { training: false, collect: true });
    const perPixel = tf.moments(activations['block2.norm2']!, 3);
    expect(tf.max(tf.abs(perPixel.mean)).dataSync()[0]).toBeLessThan(1e-5);
    perPixel.variance.dataSync().forEach((v) => expect(v).toBeCloseTo(1, 3));
    const none = makeNet(makeConfig('airbench94', { widths: [8, 16, 16], norm: 'none' }), 0);
    expect(Object.keys(none.buffers)).toEqual([]);
    expect(Object.keys(none.params).filter((n) => n.includes('norm'))).toEqual([]);
    expect(none.params['block1.conv2.bias']!.shape).toEqual([8]);
    none.params['block1.conv2.bias']!.assign(tf.fill([8], 0.25));
    const plain = forward(none, x, { training: true, collect: true });
    // With no norm the norm's output is its input, and conv2's output includes its bias.
    expect(tf.max(tf.abs(tf.sub(plain.activations['block1.norm2']!, plain.activations['block1.conv2']!))).dataSync()[0]).toBe(0);
    const withoutBias = tf.conv2d(gelu(plain.activations['block1.norm1']!) as tf.Tensor4D, none.params['block1.conv2.weight'] as tf.Tensor4D, 1, 'same');
    expect(tf.max(tf.abs(tf.sub(tf.sub(plain.activations['block1.conv2']!, withoutBias), 0.25))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([x, logits, perPixel.mean, perPixel.variance, plain.logits, withoutBias, ...Object.values(activations), ...Object.values(plain.activations)]);
    disposeModel(layer);
    disposeModel(none);
  });

  it('`at` sees every named activation and can change it; `updateStatistics: false` runs a plain weight map in training mode', () => {
    const config = makeConfig('airbench94', { widths: [8, 16, 16] });
    const model = makeNet(config, 0);
    const x = tf.randomNormal<tf.Rank.R4>([2, 32, 32, 3], 0, 1, 'float32', 9);
    const seen: string[] = [];
    const reference = forward(model, x, { training: false });
    const zeroed = forward(model, x, { training: false, at: (name, v) => (seen.push(name), name === 'pool' ? tf.zerosLike(v) : v) });
    expect(seen).toEqual(['whiten', ...[1, 2, 3].flatMap((b) => [`block${b}.conv1`, `block${b}.norm1.input`, `block${b}.norm1`, `block${b}.conv2`, `block${b}.norm2.input`, `block${b}.norm2`, `block${b}.out`]), 'pool']);
    expect(tf.max(tf.abs(zeroed.logits)).dataSync()[0]).toBe(0);
    expect(tf.max(tf.abs(reference.logits)).dataSync()[0]).toBeGreaterThan(0);
    const before = model.buffers['block1.norm1.runningMean']!.dataSync().slice();
    const weights = { config, params: { ...model.params }, buffers: Object.fromEntries(Object.entries(model.buffers).map(([n, v]) => [n, tf.clone(v)])) };
    expect(() => forward(weights, x, { training: true })).toThrow(/updateStatistics: false/);
    const batch = forward(weights, x, { training: true, updateStatistics: false });
    expect(model.buffers['block1.norm1.runningMean']!.dataSync()).toEqual(before);
    tf.dispose([x, reference.logits, zeroed.logits, batch.logits, ...Object.values(weights.buffers)]);
    disposeModel(model);
  });
});

describe('whitening', () => {
  it('whitens: W Σ Wᵀ = diag(λ/(λ+ε)) on the first 12 filters, and filters 12..23 are their negations', async () => {
    const x = whiteningImages(await cifar10(), 1000);
    const model = makeNet(makeConfig('airbench94', { whiteningImages: 1000 }), 0);
    const eigenvalues = initWhitening(model, x);
    expect(eigenvalues).toHaveLength(12);
    expect([...eigenvalues].sort((a, b) => b - a)).toEqual(eigenvalues);
    const sigma = patchSecondMoment(x);
    const kernel = model.params['whiten.weight']!.dataSync(); // [12 patch entries, 24 filters]
    const filter = (k: number) => Array.from({ length: 12 }, (_, p) => kernel[p * 24 + k]!);
    for (let i = 0; i < 12; i++) {
      for (let j = 0; j < 12; j++) {
        let value = 0;
        const [a, b] = [filter(i), filter(j)];
        for (let p = 0; p < 12; p++) for (let q = 0; q < 12; q++) value += a[p]! * sigma[p * 12 + q]! * b[q]!;
        const expected = i === j ? eigenvalues[i]! / (eigenvalues[i]! + 5e-4) : 0;
        expect(value).toBeCloseTo(expected, 4);
      }
      expect(filter(i + 12)).toEqual(filter(i).map((v) => -v));
    }
    // The top directions are well above ε, so they come out at unit variance.
    expect(eigenvalues[0]! / (eigenvalues[0]! + 5e-4)).toBeGreaterThan(0.999);
    x.dispose();
    disposeModel(model);
  });
});
