import { InvalidArgumentError } from '../errors';

/**
 * Which test examples each run got right: `runs` rows of `examples` bytes, 1
 * correct and 0 wrong, row-major (run k, example i at k·examples + i). Build it
 * with `correctnessMatrix` from per-run predictions and the labels.
 */
export interface CorrectnessMatrix {
  runs: number;
  examples: number;
  correct: Uint8Array;
}

/** The correctness matrix of runs' predicted classes against the test labels. */
export function correctnessMatrix(predictions: readonly ArrayLike<number>[], labels: ArrayLike<number>): CorrectnessMatrix {
  const examples = labels.length;
  const correct = new Uint8Array(predictions.length * examples);
  predictions.forEach((row, k) => {
    if (row.length !== examples) {
      throw new InvalidArgumentError('predictions', `correctnessMatrix: run ${k} has ${row.length} predictions, but there are ${examples} labels.`);
    }
    for (let i = 0; i < examples; i++) correct[k * examples + i] = row[i] === labels[i] ? 1 : 0;
  });
  return { runs: predictions.length, examples, correct };
}

export function checkMatrix(matrix: CorrectnessMatrix, caller: string, minRuns: number): void {
  const { runs, examples, correct } = matrix ?? ({} as CorrectnessMatrix);
  if (!Number.isSafeInteger(runs) || !Number.isSafeInteger(examples) || !(correct instanceof Uint8Array) || correct.length !== runs * examples) {
    throw new InvalidArgumentError('matrix', `${caller}: expected { runs, examples, correct: Uint8Array of runs × examples }, as correctnessMatrix returns.`);
  }
  if (runs < minRuns) throw new InvalidArgumentError('matrix', `${caller} requires at least ${minRuns} runs, but got ${runs}.`);
  if (examples < 2) throw new InvalidArgumentError('matrix', `${caller} requires at least 2 test examples, but got ${examples}.`);
}

/** Accuracy of each run. */
export function runAccuracies(matrix: CorrectnessMatrix): Float64Array {
  const { runs, examples, correct } = matrix;
  const out = new Float64Array(runs);
  for (let k = 0; k < runs; k++) {
    let hits = 0;
    for (let i = k * examples, end = i + examples; i < end; i++) hits += correct[i]!;
    out[k] = hits / examples;
  }
  return out;
}

/** p̂_i: the fraction of runs that got example i right. */
export function exampleAccuracies(matrix: CorrectnessMatrix): Float64Array {
  const { runs, examples, correct } = matrix;
  const counts = new Float64Array(examples);
  for (let k = 0; k < runs; k++) {
    const row = k * examples;
    for (let i = 0; i < examples; i++) counts[i]! += correct[row + i]!;
  }
  for (let i = 0; i < examples; i++) counts[i]! /= runs;
  return counts;
}

export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

/** Sample variance (denominator n − 1). */
export function sampleVariance(values: ArrayLike<number>): number {
  const m = mean(values);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += (values[i]! - m) ** 2;
  return sum / (values.length - 1);
}
