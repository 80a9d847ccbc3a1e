import { describe, expect, it } from 'vitest';
import { compareRuns, type Experiment, type RunRecord } from '@airbench-ts/run-variance';
import { configOf, experimentName, runKey } from '../src/experiment';
import type { Mode } from '../src/presets';
import { precisionComparisons } from '../src/report';

// The report's bf16-vs-fp32 section pairs the cells of two experiments that differ only in
// precision. The accuracies are the 10k preset's seeds 0–3 in bf16 and 0–1 in fp32 from
// results/flip-ablation.db (airbench94 on the first 10,000 images, accuracy on 10,000 test images).

function experiment(id: number, precision: 'fp32' | 'bf16', preset: '10k' | 'full' = '10k'): Experiment {
  const config = configOf(preset, 'airbench94', precision);
  return { id, name: experimentName(config), config, configHash: String(id), labels: new Uint8Array(0) };
}

function runs(mode: Mode, epochs: number, accuracies: number[], firstSeed = 0): RunRecord[] {
  return accuracies.map((accuracy, i) => ({
    seeds: runKey(epochs, mode, firstSeed + i),
    state: 'done',
    attempts: 1,
    accuracy,
    seconds: 600,
    backend: 'tensorflow',
    extra: null,
    error: null,
    predictions: null,
    worker: null,
    finishedAt: null,
  }));
}

describe('precisionComparisons (the report section "bf16 against fp32")', () => {
  const bf16 = [0.8291, 0.8291, 0.8259, 0.832];
  const fp32 = [0.822, 0.8261];

  it('compares each cell two experiments share when they differ only in precision: bf16 − fp32, Welch and paired by seed', () => {
    const [comparison, ...rest] = precisionComparisons([
      { experiment: experiment(1, 'bf16'), runs: runs('alternating', 9.9, bf16) },
      { experiment: experiment(2, 'fp32'), runs: runs('alternating', 9.9, fp32) },
    ]);
    expect(rest).toEqual([]);
    const expected = compareRuns(bf16, fp32, { seed: 0 });
    expect(comparison).toMatchObject({ experiments: { bf16: '10k-airbench94-bf16', fp32: '10k-airbench94' }, epochs: 9.9, mode: 'alternating' });
    expect(comparison!.bf16.n).toBe(4);
    expect(comparison!.fp32.mean).toBeCloseTo(0.82405, 10);
    expect(comparison!.bf16.mean).toBeCloseTo(0.829025, 10);
    expect(comparison!.difference).toBeCloseTo(expected.difference, 12);
    expect(comparison!.ci).toEqual(expected.ci);
    expect(comparison!.welchP).toBe(expected.welch.p);
    // Paired over the seeds both have (0 and 1): (0.8291 − 0.822 + 0.8291 − 0.8261) / 2.
    expect(comparison!.paired!.n).toBe(2);
    expect(comparison!.paired!.mean).toBeCloseTo(0.00505, 10);
  });

  it('leaves out cells with fewer than 2 runs on a side, and experiments that differ in more than precision', () => {
    expect(
      precisionComparisons([
        { experiment: experiment(1, 'bf16'), runs: runs('alternating', 9.9, bf16) },
        { experiment: experiment(2, 'fp32'), runs: runs('alternating', 9.9, fp32.slice(0, 1)) },
      ]),
    ).toEqual([]);
    expect(
      precisionComparisons([
        { experiment: experiment(1, 'bf16', 'full'), runs: runs('alternating', 9.9, bf16) },
        { experiment: experiment(2, 'fp32', '10k'), runs: runs('alternating', 9.9, fp32) },
      ]),
    ).toEqual([]);
    // Another flip in the fp32 experiment: no shared cell.
    expect(
      precisionComparisons([
        { experiment: experiment(1, 'bf16'), runs: runs('alternating', 9.9, bf16) },
        { experiment: experiment(2, 'fp32'), runs: runs('random', 9.9, fp32) },
      ]),
    ).toEqual([]);
  });
});
