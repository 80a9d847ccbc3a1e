import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { loadCifar10, normalizeImages } from '@airbench-ts/cifar-data';
import { CorrelationStatistics, permuteWeights, solveAssignment, type PermutationSpec } from '@airbench-ts/neuron-align';
import { beforeAll, describe, expect, it } from 'vitest';
import { barrierReduction, barriers, closedFormBatchNorm, closedFormRepair, fuse, interpolateWeights, measureSites, repair, resetBatchNorm, type WeightMap } from '../src/index';
import { mlp, score, trainMlp } from './mlp';

// Real CIFAR-10 (the run's data setup found or fetched it), small MLPs trained in
// seconds on the cpu backend, aligned with @airbench-ts/neuron-align. The images
// are average-pooled to 16×16 (768 inputs): the first layer's matMul was 80% of
// this file's time in tfjs's plain-JS kernels at 3,072.
const hidden = 32;
let train: { images: tf.Tensor2D; labels: tf.Tensor1D };
let test: { images: tf.Tensor2D; labels: tf.Tensor1D };
const batches = () => Array.from({ length: 5 }, (_, k) => tf.slice(train.images, [k * 200, 0], [200, -1]));

beforeAll(async () => {
  await tf.setBackend('cpu');
  const data = await loadCifar10({ progress: false });
  const flat = (split: typeof data.train, count: number) => ({
    images: tf.tidy(() => tf.reshape(tf.avgPool(normalizeImages(split, { count }), 2, 2, 'valid'), [count, -1]) as tf.Tensor2D),
    labels: tf.tensor1d(data.train === split ? split.labels.slice(0, count) : split.labels.slice(0, count), 'int32'),
  });
  train = flat(data.train, 1000);
  test = flat(data.test, 500);
});

const spec: PermutationSpec = {
  groups: {
    fc1: { size: hidden, activation: 'fc1', axes: [{ parameter: 'fc1.weight', axis: 1 }, { parameter: 'fc1.bias', axis: 0 }, { parameter: 'fc2.weight', axis: 0 }] },
    fc2: { size: hidden, activation: 'fc2', axes: [{ parameter: 'fc2.weight', axis: 1 }, { parameter: 'fc2.bias', axis: 0 }, { parameter: 'head.weight', axis: 0 }] },
  },
};

/** B aligned to A on the post-ReLU hidden activations, layer by layer (docs/papers.md §3.2). */
function align(model: ReturnType<typeof mlp>, a: WeightMap, b: WeightMap): Record<string, tf.Tensor> {
  let aligned: Record<string, tf.Tensor> = { ...b };
  for (const site of ['fc1', 'fc2']) {
    const stats = new CorrelationStatistics();
    for (const x of batches()) {
      tf.tidy(() => {
        const grab = (w: WeightMap) => {
          let out: tf.Tensor | undefined;
          model.forward(w, x, { normalization: 'running', at: (s, v) => (s === site && !out ? ((out = tf.relu(v)), v) : v) });
          return out!;
        };
        stats.add(grab(a), grab(aligned));
      });
      x.dispose();
    }
    const perm = solveAssignment(stats.result().correlation, hidden);
    const identity = Int32Array.from({ length: hidden }, (_, i) => i);
    aligned = permuteWeights(aligned, spec, { fc1: site === 'fc1' ? perm : identity, fc2: site === 'fc2' ? perm : identity });
  }
  return aligned;
}

describe('interpolateWeights', () => {
  it('returns the endpoints at α = 0 and 1 and the weighted mean between', () => {
    const a = { w: tf.tensor1d([1, 2]), b: tf.tensor1d([0]) };
    const b = { w: tf.tensor1d([3, 6]), b: tf.tensor1d([4]) };
    expect(Array.from(interpolateWeights(a, b, 0).w!.dataSync())).toEqual([1, 2]);
    expect(Array.from(interpolateWeights(a, b, 1).w!.dataSync())).toEqual([3, 6]);
    expect(Array.from(interpolateWeights(a, b, 0.25).w!.dataSync())).toEqual([1.5, 3]);
    expect(() => interpolateWeights(a, { w: b.w }, 0.5)).toThrow(/the maps differ in b/);
    expect(() => interpolateWeights(a, b, 1.5)).toThrow(/alpha must be in \[0, 1\]/);
  });
});

describe('REPAIR on two real MLPs', () => {
  it('aligns, interpolates, and gives every site of the midpoint its target mean and std; fused equals unfused', async () => {
    const model = mlp({ hidden });
    const a = trainMlp(model, { hidden, seed: 1, epochs: 3, ...train });
    const b = trainMlp(model, { hidden, seed: 2, epochs: 3, ...train });
    const aligned = align(model, a, b);
    // Permuting keeps B's function.
    expect(score(model, aligned, test.images, test.labels)).toEqual(score(model, b, test.images, test.labels));
    const mid = interpolateWeights(a, aligned, 0.5);
    const repaired = await repair(model, { a, b: aligned }, mid, 0.5, batches);

    const sites = ['fc1', 'fc2'];
    const statsA = await measureSites(model, a, batches(), sites, 'running');
    const statsB = await measureSites(model, aligned, batches(), sites, 'running');
    const after = await measureSites(model, repaired, batches(), sites, 'running');
    const before = await measureSites(model, mid, batches(), sites, 'running');
    for (const site of sites) {
      const n = hidden;
      for (let i = 0; i < n; i++) {
        const targetMean = (statsA[site]!.mean[i]! + statsB[site]!.mean[i]!) / 2;
        const targetStd = (Math.sqrt(statsA[site]!.variance[i]!) + Math.sqrt(statsB[site]!.variance[i]!)) / 2;
        expect(after[site]!.mean[i]).toBeCloseTo(targetMean, 1);
        expect(Math.sqrt(after[site]!.variance[i]!) / targetStd).toBeGreaterThan(0.9);
        expect(Math.sqrt(after[site]!.variance[i]!) / targetStd).toBeLessThan(1.1);
      }
    }
    // Variance collapse (docs/papers.md §3.6): the plain midpoint's second layer has lost variance; REPAIR restored it.
    const ratio = (s: typeof before) => s.fc2!.variance.reduce((x, v) => x + v, 0) / statsA.fc2!.variance.reduce((x, v) => x + v, 0);
    expect(ratio(before)).toBeLessThan(0.9);
    expect(ratio(after)).toBeGreaterThan(0.9);

    const [sA, sB, sMid, sRepaired] = [a, b, mid, repaired].map((w) => score(model, w, test.images, test.labels));
    const plain = barriers(sA!, sB!, sMid!);
    const fixed = barriers(sA!, sB!, sRepaired!);
    process.stderr.write(`[repair MLP] endpoints ${sA!.accuracy.toFixed(3)}/${sB!.accuracy.toFixed(3)}, permuted midpoint ${sMid!.accuracy.toFixed(3)}, repaired ${sRepaired!.accuracy.toFixed(3)}; loss barrier ${plain.lossBarrier.toFixed(3)} → ${fixed.lossBarrier.toFixed(3)} (reduction ${barrierReduction(plain.lossBarrier, fixed.lossBarrier).toFixed(2)})\n`);
    expect(sA!.accuracy).toBeGreaterThan(0.25);

    // Fusion is exact: the unfused correction applied at the sites gives the same logits.
    const affine = { fc1: { scale: Float64Array.from({ length: hidden }, (_, i) => 1 + i / 100), shift: Float64Array.from({ length: hidden }, (_, i) => i / 10) } };
    const fused = fuse(mid, [model.sites[0]!], (site) => affine[site as 'fc1']);
    const [s, t] = [tf.tensor1d(Float32Array.from(affine.fc1.scale)), tf.tensor1d(Float32Array.from(affine.fc1.shift))];
    const x = tf.slice(test.images, [0, 0], [50, -1]);
    const unfused = model.forward(mid, x, { normalization: 'running', at: (site, v) => (site === 'fc1' ? tf.add(tf.mul(v, s), t) : v) });
    const viaFused = model.forward(fused, x, { normalization: 'running' });
    expect(tf.max(tf.abs(tf.sub(unfused, viaFused))).dataSync()[0]).toBeLessThan(1e-4);

    // Closed form with ρ = 1 and equal endpoints is the identity correction.
    const same = closedFormRepair(model, a, statsA, statsA, { fc1: new Float64Array(hidden).fill(1), fc2: new Float64Array(hidden).fill(1) }, 0.5);
    expect(Array.from(same['fc1.weight']!.dataSync().slice(0, 50))).toEqual(Array.from(a['fc1.weight']!.dataSync().slice(0, 50)).map((v) => expect.closeTo(v, 6)));
  });

  it('resets BatchNorm statistics to the exact average over one pass of train-mode batches', async () => {
    const model = mlp({ hidden, batchNorm: true });
    const w = trainMlp(model, { hidden, batchNorm: true, seed: 3, epochs: 1, ...train });
    const reset = await resetBatchNorm(model, w, batches());
    // By hand: the per-batch mean and unbiased variance of fc1's output, averaged over the 10 batches.
    const sums = new Float64Array(hidden);
    const vars = new Float64Array(hidden);
    for (const x of batches()) {
      tf.tidy(() => {
        const h = tf.add(tf.matMul(x, w['fc1.weight'] as tf.Tensor2D), w['fc1.bias']!);
        const { mean, variance } = tf.moments(h, 0);
        mean.dataSync().forEach((m, i) => (sums[i]! += m / 5));
        variance.dataSync().forEach((v, i) => (vars[i]! += ((v * 200) / 199) / 5));
      });
      x.dispose();
    }
    reset['fc1.bn.mean']!.dataSync().forEach((m, i) => expect(m).toBeCloseTo(sums[i]!, 4));
    reset['fc1.bn.var']!.dataSync().forEach((v, i) => expect(v / vars[i]!).toBeCloseTo(1, 4));
  });

  it('closed-form BN statistics: μ_α and (1−α)²σ_A² + α²σ_B² + 2α(1−α)ρσ_Aσ_B at every BN input', () => {
    const model = mlp({ hidden: 2, batchNorm: true });
    const stats = (mean: number[], variance: number[]) => ({ mean: Float64Array.from(mean), variance: Float64Array.from(variance), batches: 1 });
    const statsA = { 'fc1.bn': stats([1, -1], [4, 1]), 'fc2.bn': stats([0, 0], [1, 1]) };
    const statsB = { 'fc1.bn': stats([3, 1], [4, 9]), 'fc2.bn': stats([2, 2], [1, 1]) };
    const rho = { 'fc1.bn': [1, 0], 'fc2.bn': [0.5, -1] };
    const weights = { 'fc1.bn.mean': tf.zeros([2]), 'fc1.bn.var': tf.ones([2]), 'fc2.bn.mean': tf.zeros([2]), 'fc2.bn.var': tf.ones([2]) };
    const out = closedFormBatchNorm(model, weights, statsA, statsB, rho, 0.5);
    expect(Array.from(out['fc1.bn.mean']!.dataSync())).toEqual([2, 0]);
    // ρ = 1, σ_A = σ_B = 2: no collapse, 4. ρ = 0, σ = 1 and 3: (1 + 9)/4 = 2.5.
    expect(Array.from(out['fc1.bn.var']!.dataSync())).toEqual([4, 2.5]);
    // ρ = 0.5, σ = 1: (1 + 1 + 1)/4 = 0.75; ρ = −1: 0.
    expect(Array.from(out['fc2.bn.var']!.dataSync())).toEqual([0.75, 0]);
    expect(Array.from(out['fc2.bn.mean']!.dataSync())).toEqual([1, 1]);
  });
});
