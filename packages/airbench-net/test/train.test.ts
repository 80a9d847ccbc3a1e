import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeModel, evaluate, infer, loadModel, makeConfig, saveModel, train, type TrainResult } from '../src/index';
import { useFastestBackend } from './backend';
import { arraySource, readImages } from './tiny-data';

// A tiny airbench94: narrow widths, 2,048 real training images, batch 256, 4 epochs.
const config = makeConfig('airbench94', { widths: [16, 32, 32], batchSize: 256, epochs: 4, whiteningImages: 1024 });
const trainSet = readImages('data_batch_1.bin', 2048);
const testSet = readImages('test_batch.bin', 1000);
const testSource = () => arraySource(testSet, 500);
let whitening: tf.Tensor4D;
let first: TrainResult;
let startTensors: number;

beforeAll(async () => {
  await useFastestBackend();
  whitening = tf.tensor4d(trainSet.images.subarray(0, 1024 * 3072), [1024, 32, 32, 3]);
  startTensors = tf.memory().numTensors;
  first = await train(config, { train: arraySource(trainSet, 256, true), whitening, test: testSource() }, { seed: 7 });
});

afterAll(() => {
  disposeModel(first.model);
  whitening.dispose();
});

describe('train (tiny airbench94 on real CIFAR-10 images)', () => {
  it('learns: test accuracy clearly above chance', () => {
    const { accuracy, count } = evaluate(first.model, testSource(), { tta: 2 });
    expect(count).toBe(1000);
    expect(accuracy).toBeGreaterThan(0.25); // chance is 0.10
    expect(first.history.map((h) => h.epoch)).toEqual([0, 1, 2, 3]);
    expect(first.totalSteps).toBe(32);
    expect(first.history.at(-1)!.steps).toBe(32);
    expect(first.history.at(-1)!.valAcc).toBeGreaterThan(0.2);
  });

  it('leaks no tensor: only the model’s variables remain', () => {
    const variables = Object.keys(first.model.params).length + Object.keys(first.model.buffers).length;
    expect(tf.memory().numTensors).toBe(startTensors + variables);
  });

  it('is deterministic: the same seed gives the same losses on the same backend', async () => {
    const again = await train(config, { train: arraySource(trainSet, 256, true), whitening }, { seed: 7 });
    expect(again.history.map((h) => h.trainLoss)).toEqual(first.history.map((h) => h.trainLoss));
    const other = await train(config, { train: arraySource(trainSet, 256, true), whitening }, { seed: 8 });
    expect(other.history.map((h) => h.trainLoss)).not.toEqual(first.history.map((h) => h.trainLoss));
    disposeModel(again.model);
    disposeModel(other.model);
  });

  it('stops a fractional last epoch mid-way, and reports every step', async () => {
    const steps: number[] = [];
    const short = await train(makeConfig(config, { epochs: 1.5 }), { train: arraySource(trainSet, 256), whitening }, { seed: 1, onStep: (s) => steps.push(s.step) });
    expect(short.totalSteps).toBe(12); // ceil(8 × 1.5)
    expect(steps).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(short.history).toHaveLength(2);
    disposeModel(short.model);
  });

  it('cancels between steps, frees the partial model and leaks nothing', async () => {
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const run = train(config, { train: arraySource(trainSet, 256), whitening }, { seed: 2, signal: controller.signal, onStep: (s) => s.step === 3 && controller.abort() });
    await expect(run).rejects.toThrow(/abort/i);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses data that is not a batch source', async () => {
    await expect(train(config, { train: [] as never, whitening })).rejects.toThrow(/'data.train' must be an iterable/);
  });
});

describe('TTA and save/load', () => {
  const x = () => tf.tensor4d(testSet.images.subarray(0, 8 * 3072), [8, 32, 32, 3]);

  it('weights the six views 1/4, 1/4 and 1/8 × 4', () => {
    const inputs = x();
    const level2 = infer(first.model, inputs, { tta: 2 });
    const manual = tf.tidy(() => {
      const net = (v: tf.Tensor4D) => infer(first.model, v, { tta: 0 });
      const mirror = (v: tf.Tensor4D) => tf.reverse(v, 2) as tf.Tensor4D;
      const padded = tf.mirrorPad(inputs, [[0, 0], [1, 1], [1, 1], [0, 0]], 'reflect');
      const up = tf.slice(padded, [0, 0, 0, 0], [8, 32, 32, 3]);
      const down = tf.slice(padded, [0, 2, 2, 0], [8, 32, 32, 3]);
      return tf.addN([
        tf.mul(net(inputs), 1 / 4),
        tf.mul(net(mirror(inputs)), 1 / 4),
        ...[up, mirror(up), down, mirror(down)].map((view) => tf.mul(net(view), 1 / 8)),
      ]);
    });
    const diff = tf.max(tf.abs(tf.sub(level2, manual)));
    expect(diff.dataSync()[0]).toBeLessThan(1e-5);
    // Level 1 is mirror-invariant.
    const a = infer(first.model, inputs, { tta: 1 });
    const b = infer(first.model, tf.reverse(inputs, 2) as tf.Tensor4D, { tta: 1 });
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([inputs, level2, manual, diff, a, b]);
  });

  it('round-trips through saveModel/loadModel with identical logits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airbench-model-'));
    try {
      await saveModel(first.model, dir);
      const loaded = await loadModel(dir);
      expect(loaded.config).toEqual(first.model.config);
      const inputs = x();
      const [a, b] = [infer(first.model, inputs), infer(loaded, inputs)];
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      tf.dispose([inputs, a, b]);
      disposeModel(loaded);
      await expect(loadModel(join(dir, 'nope'))).rejects.toThrow(/cannot read .*model\.json/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
