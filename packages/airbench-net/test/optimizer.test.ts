import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONFIGS, NesterovSgd, disposeModel, makeConfig, makeNet, parameterGroup, smoothedCrossEntropySum, toPyTorchSgd } from '../src/index';
import { Lookahead } from '../src/lookahead';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const values = (t: tf.Tensor) => Array.from(t.dataSync());

describe('NesterovSgd (PyTorch semantics, docs/papers.md §1.3)', () => {
  it('first step: buf = g + λθ; θ ← θ − lr·m·(g + μ·buf); later steps accumulate', () => {
    const theta = [0.5, -1, 2];
    const grad = [0.1, 0.2, -0.3];
    const [lr, wd, mu, m] = [0.1, 0.01, 0.85, 0.5];
    const params = { w: tf.variable(tf.tensor1d(theta)), frozen: tf.variable(tf.tensor1d([3, 4])) };
    const sgd = new NesterovSgd(mu);
    const g = tf.tensor1d(grad);
    sgd.step(params, { w: g }, () => ({ lr, weightDecay: wd }), m);
    // By hand, in float64.
    const g1 = theta.map((t, i) => grad[i]! + wd * t);
    const after1 = theta.map((t, i) => t - lr * m * (g1[i]! + mu * g1[i]!));
    values(params.w).forEach((v, i) => expect(v).toBeCloseTo(after1[i]!, 6));
    sgd.step(params, { w: g }, () => ({ lr, weightDecay: wd }), 1);
    const g2 = after1.map((t, i) => grad[i]! + wd * t);
    const buf2 = g1.map((b, i) => mu * b + g2[i]!);
    const after2 = after1.map((t, i) => t - lr * (g2[i]! + mu * buf2[i]!));
    values(params.w).forEach((v, i) => expect(v).toBeCloseTo(after2[i]!, 6));
    // A parameter without a gradient is not touched: no decay, no momentum.
    expect(values(params.frozen)).toEqual([3, 4]);
    sgd.dispose();
    tf.dispose([g, params.w, params.frozen]);
  });
});

describe('parameter groups', () => {
  it('gives BatchNorm shifts the 64× lr and the rest the base lr, with the same lr·λ per step', () => {
    const config = CONFIGS.airbench94;
    const sgd = toPyTorchSgd(config);
    const model = makeNet(makeConfig('airbench94', { widths: [8, 16, 16] }), 0);
    for (const name of Object.keys(model.params)) {
      const group = parameterGroup(config, name);
      const isShift = /^block\d\.norm\d\.bias$/.test(name);
      expect(group).toEqual(isShift ? { lr: sgd.lrBias, weightDecay: sgd.weightDecayBias } : { lr: sgd.lr, weightDecay: sgd.weightDecay });
      expect(group.lr * group.weightDecay).toBeCloseTo(1.99565e-3, 8);
    }
    expect(parameterGroup(config, 'whiten.bias').lr).toBe(sgd.lr);
    expect(sgd.lrBias / sgd.lr).toBe(64);
    disposeModel(model);
  });
});

describe('Lookahead', () => {
  it('blends slow ← d·slow + (1−d)·fast, pulls fast back to slow, and update(1) restores the slow copy', () => {
    const model = makeNet(makeConfig('airbench94', { widths: [4, 8, 8] }), 0);
    const name = 'head.weight';
    const start = values(model.params[name]!);
    const runningVar = values(model.buffers['block1.norm1.runningVar']!);
    const lookahead = new Lookahead(model);
    model.params[name]!.assign(tf.add(model.params[name]!, 1));
    model.buffers['block1.norm1.runningVar']!.assign(tf.mul(model.buffers['block1.norm1.runningVar']!, 3));
    lookahead.update(0.75);
    const expected = start.map((s) => 0.75 * s + 0.25 * (s + 1));
    values(model.params[name]!).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
    // BatchNorm statistics are part of the state too: 0.75·1 + 0.25·3.
    values(model.buffers['block1.norm1.runningVar']!).forEach((v) => expect(v).toBeCloseTo(1.5, 6));
    model.params[name]!.assign(tf.zerosLike(model.params[name]!));
    lookahead.update(1); // the final copy: the network is the slow weights
    values(model.params[name]!).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
    expect(runningVar.every((v) => v === 1)).toBe(true);
    lookahead.dispose();
    disposeModel(model);
  });
});

describe('smoothedCrossEntropySum', () => {
  it('is the summed cross-entropy against (1−ε)·onehot + ε/C, by hand in float64', () => {
    const logits = [
      [2, -1, 0.5],
      [0, 0, 3],
    ];
    const labels = [0, 1];
    const eps = 0.2;
    let expected = 0;
    logits.forEach((row, n) => {
      const max = Math.max(...row);
      const logSum = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
      row.forEach((v, c) => {
        const target = (c === labels[n] ? 1 - eps : 0) + eps / 3;
        expected -= target * (v - logSum);
      });
    });
    const loss = smoothedCrossEntropySum(tf.tensor2d(logits), tf.tensor1d(labels, 'int32'), eps);
    expect(loss.dataSync()[0]).toBeCloseTo(expected, 5);
    expect(expected).toBeCloseTo(3.43623, 4); // pinned: summed over the batch, not averaged
    loss.dispose();
  });
});
