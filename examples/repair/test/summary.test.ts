import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { summarizePairs, writeSummary } from '../src/summary';

// The committed results of `npm run repair` (results/repair/*.json), as the summary reads them.
const results = fileURLToPath(new URL('../../../results/repair/', import.meta.url));
const mlp = 'mlp-none-w128-d10-e20-activations-seed0.json';
const resnet = 'resnet20-batch-w0.5-e3-activations-seed0.json';
const dir = mkdtempSync(join(tmpdir(), 'repair-summary-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the summary of pairs', () => {
  it('groups runs by every setting but the seed, and leaves other files out', () => {
    const run = JSON.parse(readFileSync(join(results, mlp), 'utf8'));
    copyFileSync(join(results, mlp), join(dir, mlp));
    // The same pair's file as the pair of seeds 2 and 3: one group of two.
    writeFileSync(join(dir, mlp.replace('seed0', 'seed2')), JSON.stringify({ ...run, settings: { ...run.settings, seed: 2, seconds: 1 } }));
    copyFileSync(join(results, resnet), join(dir, resnet));
    writeFileSync(join(dir, 'notes.json'), '{"not":"a run"}');
    writeFileSync(join(dir, 'broken.json'), '{');
    const groups = summarizePairs(dir);
    expect(groups.map((g) => [g.label, g.seeds])).toEqual([['mlp 10×128', [0, 2]], ['resnet20 ×0.5 BN', [0]]]);
    const [pairs, single] = groups;
    // Two equal pairs: the mean is the run's, the spread 0.
    expect(pairs!.reduction.accuracy).toEqual({ n: 2, mean: run.barrierReduction.accuracy, std: 0, ci: [run.barrierReduction.accuracy, run.barrierReduction.accuracy], min: run.barrierReduction.accuracy, max: run.barrierReduction.accuracy });
    expect(pairs!.endpointAccuracy.n).toBe(4);
    expect(pairs!.methods.map((m) => m.method)).toEqual(run.methods.map((m: { method: string }) => m.method));
    expect(single!.reduction.loss?.n).toBe(1);
    expect(single!.settings).not.toHaveProperty('seed');
  });

  it('sets a run at a width the paper measured next to the paper\'s figure', () => {
    // The committed ResNet20 run relabelled as width 1 (only the label and settings change: the figures are its own).
    const run = JSON.parse(readFileSync(join(results, resnet), 'utf8'));
    writeFileSync(join(dir, 'resnet20-batch-w1-e3-activations-seed0.json'), JSON.stringify({ ...run, label: 'resnet20 ×1 BN', settings: { ...run.settings, width: 1 } }));
    const [md] = writeSummary(dir);
    const row = readFileSync(md!, 'utf8').split('\n').find((line) => line.startsWith('| resnet20 ×1 BN (activations) |'))!;
    expect(row.endsWith('| 93.47 / 93.69; permuted 12.65, REPAIR 67.63: **68%** |')).toBe(true);
    rmSync(join(dir, 'resnet20-batch-w1-e3-activations-seed0.json'));
  });

  it('writes a table a reader can paste, one row per group', () => {
    const [md] = writeSummary(dir);
    const text = readFileSync(md!, 'utf8');
    expect(text).toContain('| mlp 10×128 (activations) | 20 | 2 (seeds 0, 2) | 54.16 ± 0.09 (54.08–54.23) |');
    expect(text).toContain('| resnet20 ×0.5 BN (activations) | 3 | 1 (seeds 0) | 53.29 – 61.76 | 11.69 | 30.06 | 40.08 | 45.75 | — |');
  });
});
