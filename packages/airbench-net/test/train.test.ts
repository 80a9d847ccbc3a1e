import * as tf from '@tensorflow/tfjs-core';
import type { Cifar10 } from '@airbench-ts/cifar-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeModel, evaluate, infer, makeConfig, train, type AirbenchModel, type TrainResult } from '../src/index';
import { useFastestBackend } from './backend';
import { cifar10, testLoader, trainLoader, whiteningImages } from './data';

// A tiny airbench94: narrow widths, 2,048 real training images, batch 256, 4 epochs.
const config = makeConfig('airbench94', { widths: [8, 16, 16], batchSize: 256, epochs: 4, whiteningImages: 1024 });
let set: Cifar10;
let whitening: tf.Tensor4D;
let first: TrainResult;
let startTensors: number;
let backend: string;

beforeAll(async () => {
  backend = await useFastestBackend();
  set = await cifar10();
  whitening = whiteningImages(set, 1024);
  startTensors = tf.memory().numTensors;
  first = await train(config, { train: trainLoader(set, 2048, 256), whitening, test: testLoader(set, 500) }, { seed: 7 });
});

afterAll(() => {
  disposeModel(first.model);
  whitening.dispose();
});

describe('train (tiny airbench94 on real CIFAR-10 images)', () => {
  it('learns: test accuracy clearly above chance', async () => {
    const { accuracy, count } = await evaluate(first.model, testLoader(set, 1000), { tta: 2 });
    expect(count).toBe(1000);
    expect(accuracy).toBeGreaterThan(0.25); // chance is 0.10
    expect(first.history.map((h) => h.epoch)).toEqual([0, 1, 2, 3]);
    expect(first.totalSteps).toBe(32);
    expect(first.history.at(-1)!.steps).toBe(32);
    expect(first.history.at(-1)!.valAcc).toBeGreaterThan(0.2);
  });

  it('trains in bf16 (conv2d precision): losses within bf16 rounding of fp32 from the same seed, and nothing leaks', async () => {
    // Two short twins (2 epochs of 128 images, batch 64; bf16 is emulated, and slow, on CPUs without AVX-512): the
    // precision reaches the convolutions (the losses differ on the native backend) and the training stays faithful
    // to fp32. Elsewhere bf16 computes in fp32.
    const short = makeConfig(config, { epochs: 2, batchSize: 64 });
    const losses = async (precision: 'fp32' | 'bf16') => {
      const before = tf.memory().numTensors;
      const result = await train(makeConfig(short, { precision }), { train: trainLoader(set, 128, 64), whitening }, { seed: 7 });
      disposeModel(result.model);
      expect(tf.memory().numTensors).toBe(before);
      return result.history.map((h) => h.trainLoss);
    };
    const [fp32, bf16] = [await losses('fp32'), await losses('bf16')];
    expect(bf16).toHaveLength(2);
    // Measured on AMX: 1.1e-4 and 1.0e-4 relative; bf16 rounding is ~4e-3 a product.
    bf16.forEach((loss, epoch) => expect(Math.abs(loss - fp32[epoch]!) / fp32[epoch]!).toBeLessThan(0.005));
    expect(bf16[1]).toBeLessThan(bf16[0]!); // it learns
    if (backend === 'tensorflow') expect(bf16).not.toEqual(fp32);
  });

  it('leaks no tensor: only the model’s variables remain', () => {
    const variables = Object.keys(first.model.params).length + Object.keys(first.model.buffers).length;
    expect(tf.memory().numTensors).toBe(startTensors + variables);
  });

  it('is deterministic: the same seed gives the same losses on the same backend; another seed differs', async () => {
    const short = makeConfig(config, { epochs: 1, batchSize: 128 });
    const run = (seed: number) => train(short, { train: trainLoader(set, 256, 128), whitening }, { seed });
    const [a, b, c] = [await run(7), await run(7), await run(8)];
    expect(b.history.map((h) => h.trainLoss)).toEqual(a.history.map((h) => h.trainLoss));
    expect(c.history.map((h) => h.trainLoss)).not.toEqual(a.history.map((h) => h.trainLoss));
    [a, b, c].forEach((r) => disposeModel(r.model));
  });

  it('stops a fractional last epoch mid-way, and reports every step', async () => {
    const steps: number[] = [];
    const short = await train(makeConfig(config, { epochs: 2.5 }), { train: trainLoader(set, 512, 256), whitening }, { seed: 1, onStep: (s) => steps.push(s.step) });
    expect(short.totalSteps).toBe(5); // ceil(2 × 2.5)
    expect(steps).toEqual([0, 1, 2, 3, 4]);
    expect(short.history).toHaveLength(3);
    disposeModel(short.model);
  });

  it('cancels between steps, frees the partial model and leaks nothing', async () => {
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const run = train(config, { train: trainLoader(set, 2048, 256), whitening }, { seed: 2, signal: controller.signal, onStep: (s) => s.step === 3 && controller.abort() });
    await expect(run).rejects.toThrow(/abort/i);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('cancels during an evaluation between batches, leaking nothing', async () => {
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const evaluation = evaluate(first.model, testLoader(set, 1000, 100), { tta: 2, signal: controller.signal });
    setImmediate(() => controller.abort(new Error('interrupted by the test')));
    await expect(evaluation).rejects.toThrow(/interrupted by the test/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('train wires the loader and the alternating flip', () => {
  it('asks for epochs 0, 1, 2, … even of a loader iterated before, so the flip alternates from epoch 0', async () => {
    const seen: { index: number; epoch: number; flipped: boolean }[] = [];
    const alternating = (index: number, epoch: number) => {
      // airbench's policy: a fixed random half in even epochs, the other half in odd ones.
      const flipped = ((index * 2654435761) >>> 31 === 1) !== (epoch % 2 === 1);
      seen.push({ index, epoch, flipped });
      return flipped;
    };
    const loader = trainLoader(set, 384, 128, { flip: alternating });
    for (const batch of loader) tf.dispose([batch.inputs, batch.labels]); // a user iterated it once already
    seen.length = 0;
    const result = await train(makeConfig(config, { epochs: 3, batchSize: 128 }), { train: loader, whitening }, { seed: 3 });
    disposeModel(result.model);
    expect([...new Set(seen.map((s) => s.epoch))]).toEqual([0, 1, 2]);
    // Every image seen in consecutive epochs is mirrored in exactly one of them.
    const byImage = new Map<number, Map<number, boolean>>();
    for (const { index, epoch, flipped } of seen) byImage.set(index, (byImage.get(index) ?? new Map()).set(epoch, flipped));
    let pairs = 0;
    for (const epochs of byImage.values()) {
      for (const [epoch, flipped] of epochs) {
        if (epochs.has(epoch + 1)) {
          expect(epochs.get(epoch + 1)).toBe(!flipped);
          pairs += 1;
        }
      }
    }
    expect(pairs).toBe(2 * 384); // every image in epochs 0–1 and 1–2
  });

  it('refuses a batch source cut differently from the config, before any work', async () => {
    const refuse = (source: ReturnType<typeof trainLoader>) => train(config, { train: source, whitening });
    await expect(refuse(trainLoader(set, 2048, 128))).rejects.toThrow(/batches of 128 images, but config\.batchSize is 256/);
    await expect(refuse(trainLoader(set, 2048, 256, { dropLast: false }))).rejects.toThrow(/must drop the last, smaller batch/);
    await expect(train(config, { train: [] as never, whitening })).rejects.toThrow(/'data.train' must have batches\(epoch\)/);
    const few = whiteningImages(set, 512);
    await expect(train(config, { train: trainLoader(set, 2048, 256), whitening: few })).rejects.toThrow(/whiteningImages is 1024, but 'data.whitening' holds 512/);
    few.dispose();
  });
});

describe('the whitening bias and lookahead in a real run', () => {
  it('trains the whitening bias in epochs 0–2 only', async () => {
    // Lookahead every 1000 steps: never inside this run, so only the optimiser moves the weights.
    const frozenAfter3 = makeConfig(config, { epochs: 5, batchSize: 128, lookahead: { every: 1000, decay: 0.95 } }); // 2 steps an epoch
    const snapshots: Float32Array[] = [];
    const result = await train(frozenAfter3, { train: trainLoader(set, 256, 128), whitening }, {
      seed: 4,
      onEpoch: (_record, model: AirbenchModel) => snapshots.push(model.params['whiten.bias']!.dataSync() as Float32Array),
    });
    disposeModel(result.model);
    const changed = (a: Float32Array, b: Float32Array) => a.some((v, i) => v !== b[i]);
    expect(changed(snapshots[0]!, new Float32Array(24))).toBe(true);
    expect(changed(snapshots[1]!, snapshots[0]!)).toBe(true);
    expect(changed(snapshots[2]!, snapshots[1]!)).toBe(true);
    // Epoch 3: no gradient, no decay, no momentum for it any more.
    expect(Array.from(snapshots[3]!)).toEqual(Array.from(snapshots[2]!));
  });
});

describe('the three-conv variants train, not only run forward', () => {
  it.each(['airbench96', 'airbench96-legacy'] as const)('%s: the loss falls and nothing leaks', async (variant) => {
    const small = makeConfig(variant, { widths: [8, 16, 16], batchSize: 128, epochs: 2, whiteningImages: 512, augmentation: { translate: 2, cutout: 0, flip: 'alternating' } });
    const before = tf.memory().numTensors;
    const losses: number[] = [];
    const result = await train(small, { train: trainLoader(set, 640, 128), whitening }, { seed: 0, onEpoch: (r) => losses.push(r.trainLoss) });
    expect(Object.keys(result.model.params)).toContain('block2.conv3.weight');
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[1]).toBeLessThan(losses[0]!);
    const shape = tf.tidy(() => infer(result.model, whitening.slice([0, 0, 0, 0], [4, -1, -1, -1]) as tf.Tensor4D, { tta: 0 }).shape);
    expect(shape).toEqual([4, 10]);
    disposeModel(result.model);
    expect(tf.memory().numTensors).toBe(before);
  });
});
