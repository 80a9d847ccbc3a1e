import * as tf from '@tensorflow/tfjs-core';
import type { Cifar10 } from '@airbench-ts/cifar-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CheckpointError,
  checkResumable,
  decodeTrainingState,
  disposeModel,
  encodeTrainingState,
  makeConfig,
  train,
  type AirbenchModel,
  type Precision,
  type TrainingState,
} from '../src/index';
import { useFastestBackend } from './backend';
import { cifar10, trainLoader, whiteningImages } from './data';

// A tiny airbench94 of 16 steps: 512 real images in batches of 128, 4 epochs, so
// that the whitening bias freezes (after epoch 3) inside the resumed part.
const config = makeConfig('airbench94', { widths: [8, 16, 16], batchSize: 128, epochs: 4, whiteningImages: 512 });
let set: Cifar10;
let whitening: tf.Tensor4D;

beforeAll(async () => {
  await useFastestBackend();
  set = await cifar10();
  whitening = whiteningImages(set, 512);
});

afterAll(() => whitening.dispose());

/** Every weight and buffer of a model, as bytes. */
async function weightBytes(model: AirbenchModel): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const [name, v] of Object.entries({ ...model.params, ...model.buffers })) {
    const values = await v.data();
    out.set(name, Buffer.from(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)));
  }
  return out;
}

/** Names whose bytes differ (toEqual over large typed arrays is slow: compare with Buffer.equals). */
function differing(a: Map<string, Buffer>, b: Map<string, Buffer>): string[] {
  const names = new Set([...a.keys(), ...b.keys()]);
  return [...names].filter((name) => !(a.get(name) && b.get(name) && a.get(name)!.equals(b.get(name)!)));
}

const data = () => ({ train: trainLoader(set, 512, 128, { seed: 5 }), whitening });

// bf16 takes the same state code as fp32, with its own casts in every step: it trains 1 of the 4 epochs and resumes
// from the mid-epoch state after step 3 (on a CPU without AVX-512 TensorFlow emulates bf16, ~10x slower than fp32).
describe.each(['fp32', 'bf16'] as Precision[])('checkpoints (%s): a resumed training equals one that never stopped', (precision) => {
  const c = makeConfig(config, { precision, epochs: precision === 'bf16' ? 1 : config.epochs });
  const epochs = precision === 'bf16' ? [0] : [0, 1, 2, 3];

  it('bit for bit, from a mid-epoch state and from an epoch boundary, after a round trip through bytes', async () => {
    const before = tf.memory().numTensors;
    // fp32: a training that takes no states, to show that taking them changes nothing (bf16 takes the same code path).
    const plain = precision === 'fp32' ? await train(c, data(), { seed: 3 }) : undefined;
    const plainBytes = plain && (await weightBytes(plain.model));
    if (plain) disposeModel(plain.model);

    // The same training, handing out its state every 3 steps.
    const states: Uint8Array[] = [];
    const positions: string[] = [];
    const watched = await train(c, data(), {
      seed: 3,
      checkpoint: {
        everySteps: 3,
        save: async (state) => {
          positions.push(`${state.step}@${state.epoch}.${state.batch}`);
          states.push(await encodeTrainingState(state));
        },
      },
    });
    const expected = await weightBytes(watched.model);
    if (plainBytes) expect(differing(expected, plainBytes)).toEqual([]);
    disposeModel(watched.model);
    // Mid-epoch (6 = epoch 1, batch 2), epoch ends when due (12 = epoch 3, batch 0), and the end of the training.
    expect(positions).toEqual(precision === 'bf16' ? ['3@0.3', '4@1.0'] : ['3@0.3', '6@1.2', '9@2.1', '12@3.0', '15@3.3', '16@4.0']);

    for (const index of precision === 'bf16' ? [0] : [1, 3]) {
      const state = await decodeTrainingState(states[index]!);
      const resumed = await train(c, data(), { seed: 3, resumeFrom: state });
      expect(resumed.resumedFrom).toEqual({ step: state.step, epoch: state.epoch, batch: state.batch });
      expect(resumed.history.map((h) => h.epoch)).toEqual(epochs);
      expect(differing(await weightBytes(resumed.model), expected), `resumed at ${positions[index]}`).toEqual([]);
      disposeModel(resumed.model);
    }
    // The final state resumes to the finished network without a step.
    const final = await train(c, data(), { seed: 3, resumeFrom: await decodeTrainingState(states.at(-1)!) });
    expect(differing(await weightBytes(final.model), expected)).toEqual([]);
    disposeModel(final.model);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('stopping (an aborted signal) with checkpoints', () => {
  it('saves the state after the last step done, and resumed from it the training equals one that never stopped', async () => {
    const before = tf.memory().numTensors;
    const short = makeConfig(config, { epochs: 2 }); // 8 steps
    const plain = await train(short, data(), { seed: 3 });
    const expected = await weightBytes(plain.model);
    disposeModel(plain.model);

    // Stopped while step 5 runs (epoch 1, batch 2), with no periodic state due before the end.
    const controller = new AbortController();
    const states: Uint8Array[] = [];
    const stopped = train(short, data(), {
      seed: 3,
      signal: controller.signal,
      onStep: (info) => info.step === 5 && controller.abort(new Error('stopped by the test')),
      checkpoint: { everySteps: 1000, save: async (state) => void states.push(await encodeTrainingState(state)) },
    });
    await expect(stopped).rejects.toThrow('stopped by the test');
    expect(states).toHaveLength(1);
    const state = await decodeTrainingState(states[0]!);
    expect({ step: state.step, epoch: state.epoch, batch: state.batch }).toEqual({ step: 6, epoch: 1, batch: 2 });
    const resumed = await train(short, data(), { seed: 3, resumeFrom: state });
    expect(differing(await weightBytes(resumed.model), expected)).toEqual([]);
    disposeModel(resumed.model);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('training states as bytes', () => {
  let bytes: Uint8Array;
  let state: TrainingState;

  beforeAll(async () => {
    const result = await train(makeConfig(config, { epochs: 1 }), data(), {
      seed: 1,
      checkpoint: { everySteps: 2, save: async (s) => void (state ??= s) },
    });
    disposeModel(result.model);
    bytes = await encodeTrainingState(state);
  });

  it('round-trip every value, shape and field, also from a Node Buffer that views a larger buffer (as readFile gives)', async () => {
    const pooled = Buffer.alloc(bytes.length + 13);
    pooled.set(bytes, 13);
    const back = await decodeTrainingState(pooled.subarray(13));
    expect(back.step).toBe(2);
    expect(back.whiteningBiasFrozen).toBe(false);
    expect(Object.keys(back.tensors)).toEqual(Object.keys(state.tensors));
    for (const [name, { shape, values }] of Object.entries(state.tensors)) {
      expect(back.tensors[name]!.shape).toEqual(shape);
      expect(Buffer.from(back.tensors[name]!.values.buffer, back.tensors[name]!.values.byteOffset, values.byteLength).equals(Buffer.from(values.buffer, values.byteOffset, values.byteLength))).toBe(true);
    }
    // momentum only for parameters that had a gradient; never for the frozen whitening weight
    expect(back.tensors['momentum/whiten.weight']).toBeUndefined();
    expect(back.tensors['momentum/head.weight']).toBeDefined();
  });

  it('refuses a truncated state and one with a flipped byte, naming the source', async () => {
    await expect(decodeTrainingState(bytes.subarray(0, bytes.length - 1000), 'run-7.ckpt')).rejects.toThrow(/run-7\.ckpt: its SHA-256 does not match/);
    const flipped = bytes.slice();
    flipped[Math.floor(flipped.length / 2)]! ^= 0x10;
    const error = await decodeTrainingState(flipped, 'run-7.ckpt').catch((e: unknown) => e);
    expect(CheckpointError.isInstance(error) && error instanceof CheckpointError && error.source).toBe('run-7.ckpt');
    await expect(decodeTrainingState(new Uint8Array(10), 'x')).rejects.toThrow(/not an airbench-ts training state/);
  });

  it('a save that throws ends the training with its error, leaking no tensor', async () => {
    const before = tf.memory().numTensors;
    const failing = train(makeConfig(config, { epochs: 1 }), data(), {
      seed: 1,
      checkpoint: {
        everySteps: 2,
        save: () => {
          throw new Error('disk full');
        },
      },
    });
    await expect(failing).rejects.toThrow('disk full');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a state of another config, seed or data, before training', async () => {
    const other = makeConfig(config, { epochs: 1, lr: 10 });
    await expect(train(other, data(), { seed: 1, resumeFrom: state })).rejects.toThrow(/another config/);
    // The same check, before any work, for callers that would rather start over (examples/variance).
    expect(() => checkResumable(state, other, 1, 4, 4)).toThrow(/another config/);
    expect(() => checkResumable(state, makeConfig(config, { epochs: 1 }), 1, 4, 4)).not.toThrow();
    await expect(train(makeConfig(config, { epochs: 1 }), data(), { seed: 2, resumeFrom: state })).rejects.toThrow(/seed 1, not 2/);
    await expect(train(makeConfig(config, { epochs: 1 }), { train: trainLoader(set, 1024, 128), whitening }, { seed: 1, resumeFrom: state })).rejects.toThrow(/4 batches an epoch/);
  });
});
