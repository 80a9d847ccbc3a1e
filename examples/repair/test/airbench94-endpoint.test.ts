import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { nativeBinding, selectBackend } from '@airbench-ts-example/backend';
import { loadCifar10 } from '@airbench-ts/cifar-data';
import { airbench94, trainEndpoint } from '@airbench-ts-example/models';

// airbench94's endpoints go through airbench-net's own training (not the recipe loop of models.test.ts), on the
// native backend the examples train on: a --train-subset below airbench's 5,000 whitening images trains (the
// whitening is measured on all of it), and a stopped training resumes from airbench-net's state, bit for bit.
const built = existsSync(nativeBinding('@tensorflow/tfjs-node'));

describe.runIf(built)('an airbench94 endpoint (airbench-net\'s own training)', () => {
  beforeAll(async () => {
    await selectBackend({ backend: 'node', log: () => {} });
  });

  it('trains on 2,100 images (below the 5,000 whitening images) and resumes from its stored state to the same weights, bit for bit', async () => {
    const { train } = await loadCifar10({ subset: { train: 2100, test: 1 }, progress: false });
    const model = airbench94({ width: 0.0625, norm: 'batch', epochs: 2 }); // widths 4/16/16, batch 1024: 2 steps an epoch, 4 in all
    let steps: number[] = [];
    const run = async (stored: Uint8Array | null, saved: Uint8Array[] = [], resumes: [number, number][] = []) => {
      steps = [];
      const weights = await trainEndpoint(model, 1, train, () => [], (step) => void steps.push(step), 'random', {
        key: 'airbench94-w0.125-seed1',
        everySteps: 3,
        load: async () => stored,
        save: async (bytes) => void saved.push(bytes),
        onResume: (step, total) => void resumes.push([step, total]),
      });
      const values = Object.fromEntries(Object.entries(weights).map(([name, t]) => [name, Array.from(t.dataSync())]));
      tf.dispose(Object.values(weights));
      return values;
    };
    const before = tf.memory().numTensors;
    const states: Uint8Array[] = [];
    const uninterrupted = await run(null, states);
    expect(steps).toEqual([1, 2, 3, 4]);
    expect(states).toHaveLength(2); // after step 3 (mid-way through epoch 2), and the last one when training ends
    expect(Object.keys(uninterrupted)).toEqual(expect.arrayContaining(['whiten.weight', 'block1.conv1.weight', 'block3.norm2.runningVar', 'head.weight']));
    expect(uninterrupted['block1.conv1.weight']!.every(Number.isFinite)).toBe(true);
    const resumes: [number, number][] = [];
    expect(await run(states[0]!, [], resumes)).toEqual(uninterrupted);
    expect(steps).toEqual([4]); // only the step after the state was trained
    expect(resumes).toEqual([[3, 4]]);
    expect(await run(states[1]!)).toEqual(uninterrupted); // stopped after its last step: nothing left to train
    expect(steps).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
