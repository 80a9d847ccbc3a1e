import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIGS, decodeTrainingState, disposeModel, encodeTrainingState, evaluate, makeConfig, train, type AirbenchModel } from '../src/index';
import { Muon, newtonSchulz } from '../src/muon';
import { useFastestBackend } from './backend';
import { cifar10, testLoader, trainLoader, whiteningImages } from './data';

beforeAll(async () => {
  await useFastestBackend();
});

/** Singular values of a matrix [m, n] (m ≤ n): √ of the eigenvalues of M Mᵀ, by cyclic Jacobi rotations in float64. */
function singularValues(values: Float32Array, m: number, n: number): number[] {
  const a = Array.from({ length: m }, (_, i) => Array.from({ length: m }, (_, j) => {
    let s = 0;
    for (let k = 0; k < n; k++) s += values[i * n + k]! * values[j * n + k]!;
    return s;
  }));
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < m; p++) for (let q = p + 1; q < m; q++) off += a[p]![q]! ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < m; p++) {
      for (let q = p + 1; q < m; q++) {
        if (Math.abs(a[p]![q]!) < 1e-300) continue;
        const theta = (a[q]![q]! - a[p]![p]!) / (2 * a[p]![q]!);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < m; k++) {
          const [akp, akq] = [a[k]![p]!, a[k]![q]!];
          a[k]![p] = c * akp - s * akq;
          a[k]![q] = s * akp + c * akq;
        }
        for (let k = 0; k < m; k++) {
          const [apk, aqk] = [a[p]![k]!, a[q]![k]!];
          a[p]![k] = c * apk - s * aqk;
          a[q]![k] = s * apk + c * aqk;
        }
      }
    }
  }
  return a.map((row, i) => Math.sqrt(Math.max(row[i]!, 0))).sort((x, y) => x - y);
}

/** A [m, n] matrix (m ≤ n) whose singular values spread over a factor of ten: random rows, scaled from 1 down to 0.1. */
function spread(m: number, n: number, seed: number): tf.Tensor2D {
  return tf.tidy(() => {
    const scales = tf.tensor2d(Array.from({ length: m }, (_, i) => 10 ** (-i / (m - 1))), [m, 1]);
    return tf.mul(tf.randomNormal([m, n], 0, 1, 'float32', seed), scales) as tf.Tensor2D;
  });
}

describe('Newton–Schulz orthogonalisation (Muon\'s defining property)', () => {
  // The shapes of airbench94's filters as matrices (out × kh·kw·in): 64 × 3·3·24, 256 × 3·3·64 (transposed: tall).
  it('moves singular values spread over 10× into about [0.5, 1.5] (3 iterations), and keeps the orientation', async () => {
    for (const [m, n] of [[16, 216], [64, 216], [64, 576]] as const) {
      const g = spread(m, n, m + n);
      const before = singularValues((await g.data()) as Float32Array, m, n);
      expect(before.at(-1)! / before[0]!, `${m}×${n} input spread`).toBeGreaterThan(8);
      const x = newtonSchulz(g);
      const after = singularValues((await x.data()) as Float32Array, m, n);
      expect(after[0], `${m}×${n}: smallest`).toBeGreaterThan(0.3);
      expect(after.at(-1), `${m}×${n}: largest`).toBeLessThan(1.6);
      expect(after.at(-1)! / after[0]!, `${m}×${n}: output spread`).toBeLessThan(before.at(-1)! / before[0]! / 2);
      const mean = after.reduce((s, v) => s + v, 0) / after.length;
      expect(mean, `${m}×${n}: mean`).toBeGreaterThan(0.7);
      expect(mean).toBeLessThan(1.3);
      // A tall matrix is handled as its transpose: NS(Gᵀ) = NS(G)ᵀ.
      const tall = newtonSchulz(tf.transpose(g) as tf.Tensor2D);
      expect(tf.max(tf.abs(tf.sub(tall, tf.transpose(x)))).dataSync()[0]).toBeLessThan(1e-5);
      tf.dispose([g, x, tall]);
    }
  });

  it('a Muon step sets the filter to norm √out, then moves it by lr × an orthogonalised update', async () => {
    const before = tf.memory().numTensors;
    const shape = [3, 3, 8, 16]; // HWIO: 16 output filters of 3×3×8
    const init = tf.randomNormal(shape, 0, 0.3, 'float32', 1);
    const w = tf.variable(init);
    init.dispose();
    const grad = tf.tidy(() => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 2), tf.linspace(0.2, 1, 16))); // some filters' gradients 5× others'
    const muon = new Muon({ momentum: 0.6, nesterov: true, steps: 3 });
    const normalised = tf.tidy(() => tf.mul(w, tf.div(Math.sqrt(16), tf.norm(w))));
    muon.step({ w }, { w: grad }, 0.1);
    expect(tf.tidy(() => tf.norm(normalised).dataSync()[0])).toBeCloseTo(4, 4);
    const update = tf.tidy(() => tf.transpose(tf.reshape(tf.div(tf.sub(normalised, w), 0.1), [-1, 16])));
    const sv = singularValues((await update.data()) as Float32Array, 16, 72);
    expect(sv[0]).toBeGreaterThan(0.3);
    expect(sv.at(-1)).toBeLessThan(1.6);
    // The first step's momentum is the gradient itself.
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(muon.state.get('w')!, grad))).dataSync()[0])).toBe(0);
    muon.dispose();
    tf.dispose([w, grad, normalised, update]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('airbench94_muon', () => {
  // The variant narrowed for the suite: 512 images in batches of 128, 4 epochs (the whitening bias freezes after 3).
  const config = makeConfig('airbench94_muon', { widths: [16, 32, 32], batchSize: 128, epochs: 4, whiteningImages: 512 });
  let whitening: tf.Tensor4D;
  beforeAll(async () => {
    whitening = whiteningImages(await cifar10(), 512);
  });
  afterAll(() => whitening.dispose());

  it('is airbench94 with Muon for the filters, batch 2000, 8 epochs, no lookahead and logits / 256', () => {
    const { airbench94_muon: muon, airbench94 } = CONFIGS;
    expect([muon.batchSize, muon.epochs, muon.lookahead, muon.logitScale, muon.headStd]).toEqual([2000, 8, null, 1 / 256, 1]);
    expect(muon.muon).toEqual({ lr: 0.24, momentum: 0.6, steps: 3, sgd: { momentum: 0.85, biasLr: 0.053, headLr: 0.67, weightDecay: 2e-6 } });
    expect(muon.widths).toEqual(airbench94.widths);
    expect('muon' in airbench94).toBe(false); // airbench94's config, and so its run keys, are unchanged
  });

  it('trains above chance, and a run resumed from a mid-epoch state ends with the same weights, bit for bit', async () => {
    const set = await cifar10();
    const data = () => ({ train: trainLoader(set, 512, 128), whitening });
    const states: Uint8Array[] = [];
    const full = await train(config, data(), { seed: 1, checkpoint: { everySteps: 5, save: async (state) => void states.push(await encodeTrainingState(state)) } });
    const { accuracy } = await evaluate(full.model, testLoader(set, 1000), { tta: 0 });
    expect(accuracy).toBeGreaterThan(0.2);
    const state = await decodeTrainingState(states[1]!);
    expect(Object.keys(state.tensors).some((k) => k.startsWith('slow/'))).toBe(false); // no lookahead
    expect(Object.keys(state.tensors).filter((k) => k.startsWith('momentum/') && k.includes('conv')).length).toBe(6); // Muon's buffers
    const resumed = await train(config, data(), { seed: 1, resumeFrom: state });
    expect(await sameWeights(resumed.model, full.model)).toBe(true);
    disposeModel(full.model);
    disposeModel(resumed.model);
  });
});

async function sameWeights(a: AirbenchModel, b: AirbenchModel): Promise<boolean> {
  for (const [name, v] of Object.entries({ ...a.params, ...a.buffers })) {
    const [x, y] = [await v.data(), await (b.params[name] ?? b.buffers[name])!.data()];
    if (x.length !== y.length || x.some((value, i) => value !== y[i])) return false;
  }
  return true;
}
