import { describe, expect, it } from 'vitest';
import { stdVsEpochsSpec } from '../src/plots';

const rows = (epochs: number[]) => epochs.flatMap((e) => [
  { epochs: e, experiment: `e${e}`, what: 'test-set std', std: 0.01 / e },
  { epochs: e, experiment: `e${e}`, what: 'distribution-wise std (95% CI)', std: 0.008 / e, low: 0.006 / e, high: 0.01 / e },
]);
const xOf = (spec: ReturnType<typeof stdVsEpochsSpec>) => (spec as unknown as { layer: { encoding: { x: Record<string, unknown> } }[] }).layer.map((l) => l.encoding.x);

describe('std against training length', () => {
  it('puts doubling lengths on a log₂ axis that shows each length, in both layers', () => {
    const [line, bars] = xOf(stdVsEpochsSpec(rows([16, 1, 4, 2, 8])));
    expect(line).toEqual(bars);
    expect(line).toMatchObject({ field: 'epochs', scale: { type: 'log', base: 2 }, axis: { values: [1, 2, 4, 8, 16] }, title: 'training length (epochs, log scale)' });
  });

  it('keeps a linear axis for two lengths or a narrow range, and plots percentage points with the CI', () => {
    for (const epochs of [[1, 2], [4, 6, 8]]) expect(xOf(stdVsEpochsSpec(rows(epochs)))[0]).not.toHaveProperty('scale');
    const values = (stdVsEpochsSpec(rows([2])) as unknown as { data: { values: { std: number; low: number; high: number }[] } }).data.values;
    expect(values[1]).toMatchObject({ std: 0.4, low: 0.3, high: 0.5 });
    expect(values[0]).toMatchObject({ std: 0.5, low: 0.5, high: 0.5 });
  });
});
