import type { PlotSpec } from '@airbench-ts-example/plot';

/** Accuracies over runs as a histogram, with the Poisson-binomial the IEA predicts drawn over it (same scale). */
export function histogramSpec(title: string, accuracies: number[], iea: { accuracy: number; runs: number }[]): PlotSpec {
  return {
    title,
    width: 420,
    height: 240,
    layer: [
      {
        data: { values: accuracies.map((a) => ({ accuracy: a * 100 })) },
        mark: { type: 'bar', opacity: 0.6, color: '#4c78a8' },
        encoding: {
          x: { field: 'accuracy', type: 'quantitative', bin: { step: binStep(accuracies) }, title: 'test accuracy (%)' },
          y: { aggregate: 'count', type: 'quantitative', title: 'runs' },
        },
      },
      {
        data: { values: iea.map((p) => ({ accuracy: p.accuracy * 100, runs: p.runs, what: 'IEA (Poisson-binomial)' })) },
        mark: { type: 'line', color: '#e45756', strokeWidth: 2 },
        encoding: { x: { field: 'accuracy', type: 'quantitative' }, y: { field: 'runs', type: 'quantitative' } },
      },
    ],
  };
}

/** The bin width, in percent, the histogram uses: about 15 bins over the observed range. */
export function binStep(accuracies: number[]): number {
  const range = (Math.max(...accuracies) - Math.min(...accuracies)) * 100;
  return Math.max(0.01, Math.round((range / 15) * 1000) / 1000);
}

export function scatterSpec(title: string, points: { first: number; second: number }[]): PlotSpec {
  return {
    title,
    width: 300,
    height: 300,
    data: { values: points.map((p) => ({ first: p.first * 100, second: p.second * 100 })) },
    mark: { type: 'point', filled: true, opacity: 0.6 },
    encoding: {
      x: { field: 'first', type: 'quantitative', scale: { zero: false }, title: 'accuracy on half 1 (%)' },
      y: { field: 'second', type: 'quantitative', scale: { zero: false }, title: 'accuracy on half 2 (%)' },
    },
  };
}

/**
 * The paper's central figure: test-set std, IEA std and σ_D (with its CI) against the training length. Lengths that
 * double (1, 2, 4, 8, 16 epochs) go on a log₂ axis, so each doubling is one step.
 */
export function stdVsEpochsSpec(rows: { epochs: number; experiment: string; what: string; std: number; low?: number; high?: number }[]): PlotSpec {
  const epochs = [...new Set(rows.map((r) => r.epochs))].sort((a, b) => a - b);
  const logScale = epochs.length >= 3 && epochs[0]! > 0 && epochs[epochs.length - 1]! / epochs[0]! >= 4;
  const x = {
    field: 'epochs',
    type: 'quantitative' as const,
    title: logScale ? 'training length (epochs, log scale)' : 'training length (epochs)',
    ...(logScale ? { scale: { type: 'log' as const, base: 2 }, axis: { values: epochs, format: 'd' } } : { axis: { format: 'd', tickMinStep: 1 } }),
  };
  return {
    title: 'test-set std vs distribution-wise std, by training length',
    width: 380,
    height: 240,
    data: { values: rows.map((r) => ({ ...r, std: r.std * 100, low: (r.low ?? r.std) * 100, high: (r.high ?? r.std) * 100 })) },
    layer: [
      {
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'std', type: 'quantitative', title: 'std (percentage points)' },
          color: { field: 'what', type: 'nominal', title: null, legend: { labelLimit: 300 } },
        },
      },
      { mark: { type: 'errorbar' }, encoding: { x, y: { field: 'low', type: 'quantitative', title: 'std (percentage points)' }, y2: { field: 'high' }, color: { field: 'what', type: 'nominal' } } },
    ],
  };
}

export function calibrationSpec(rows: { experiment: string; voteShare: number; accuracy: number; count: number }[]): PlotSpec {
  return {
    title: 'ensemble class-wise calibration',
    width: 300,
    height: 300,
    layer: [
      { data: { values: [{ x: 0, y: 0 }, { x: 1, y: 1 }] }, mark: { type: 'line', color: '#bbb', strokeDash: [4, 4] }, encoding: { x: { field: 'x', type: 'quantitative', title: 'vote share of the class' }, y: { field: 'y', type: 'quantitative', title: 'fraction where it is the label' } } },
      { data: { values: rows }, mark: { type: 'line', point: true }, encoding: { x: { field: 'voteShare', type: 'quantitative' }, y: { field: 'accuracy', type: 'quantitative' }, color: { field: 'experiment', type: 'nominal' } } },
    ],
  };
}

/**
 * Claim 4, augmentation: a flip ablation's cells, test-set std and σ_D (with its CI) against the training length,
 * one colour per flip, one panel per figure.
 */
export function augmentationSpec(rows: { epochs: number; flip: string; what: string; std: number; low: number; high: number }[]): PlotSpec {
  const x = { field: 'epochs', type: 'ordinal' as const, title: 'training length (epochs)' };
  const color = { field: 'flip', type: 'nominal' as const, title: 'flip', sort: ['none', 'random', 'alternating'] };
  return {
    title: 'augmentation and variance: the flip ablation\'s cells (n per cell in the table)',
    data: { values: rows.map((r) => ({ ...r, std: r.std * 100, low: r.low * 100, high: r.high * 100 })) },
    facet: { column: { field: 'what', type: 'nominal', title: null, sort: ['test-set std', 'distribution-wise std (95% CI)'] } },
    spec: {
      width: 260,
      height: 220,
      layer: [
        { mark: { type: 'line', point: true }, encoding: { x, y: { field: 'std', type: 'quantitative', title: 'std (percentage points)' }, color } },
        { mark: { type: 'errorbar' }, encoding: { x, y: { field: 'low', type: 'quantitative', title: 'std (percentage points)' }, y2: { field: 'high' }, color } },
      ],
    },
  };
}
