import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from './errors';

export type StdVariant = 'batch-std' | 'second-moment';

export interface CorrelationResult {
  /** channels × channels, row-major: R[i, j] = corr(A_i, B_j). */
  correlation: Float64Array;
  channels: number;
  meanA: Float64Array;
  meanB: Float64Array;
  stdA: Float64Array;
  stdB: Float64Array;
  batches: number;
}

/**
 * Streams pairs of activation batches of networks A and B (the same inputs) and
 * accumulates, in float64, the statistics of docs/papers.md §3.2: each batch counts equally,
 * every spatial position is a row ([N, H, W, C] → [N·H·W, C]). Per batch, the
 * channel means, stds and the cross moment XᵀY/rows are computed on the backend
 * (float32); only those C + C + C² numbers are added up, so memory does not grow
 * with the number of batches.
 *
 * ```ts
 * const stats = new CorrelationStatistics();
 * for (const x of batches) stats.add(activationOfA(x), activationOfB(x));
 * const { correlation } = stats.result();
 * ```
 */
export class CorrelationStatistics {
  private channels = 0;
  private batches = 0;
  private sumMeanA!: Float64Array;
  private sumMeanB!: Float64Array;
  private sumSquareA!: Float64Array;
  private sumSquareB!: Float64Array;
  private sumStdA!: Float64Array;
  private sumStdB!: Float64Array;
  private sumCross!: Float64Array;

  /** `batch-std`: σ is the mean of per-batch unbiased stds (ResNet20 notebooks); `second-moment`: √(E[x²] − μ²) (VGG). */
  constructor(private readonly variant: StdVariant = 'second-moment') {}

  add(a: tf.Tensor, b: tf.Tensor): void {
    if (a.shape.length < 2 || a.shape.join() !== b.shape.join()) {
      throw new InvalidArgumentError('activations', `CorrelationStatistics.add: A and B need the same shape, [rows, C] or [N, H, W, C]; got [${a.shape.join(', ')}] and [${b.shape.join(', ')}].`);
    }
    const c = a.shape[a.shape.length - 1]!;
    if (this.batches === 0) this.start(c);
    else if (c !== this.channels) throw new InvalidArgumentError('activations', `CorrelationStatistics.add: ${c} channels, but earlier batches had ${this.channels}.`);
    const [meanA, meanB, squareA, squareB, cross, rows] = tf.tidy(() => {
      const x = tf.reshape(a, [-1, c]);
      const y = tf.reshape(b, [-1, c]);
      const n = x.shape[0]!;
      return [tf.mean(x, 0), tf.mean(y, 0), tf.mean(tf.square(x), 0), tf.mean(tf.square(y), 0), tf.div(tf.matMul(x, y, true, false), n), n] as const;
    });
    const [ma, mb, sa, sb, xy] = [meanA, meanB, squareA, squareB, cross].map((t) => t.dataSync() as Float32Array) as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
    tf.dispose([meanA, meanB, squareA, squareB, cross]);
    const unbiased = rows / Math.max(rows - 1, 1);
    for (let i = 0; i < c; i++) {
      this.sumMeanA[i]! += ma[i]!;
      this.sumMeanB[i]! += mb[i]!;
      this.sumSquareA[i]! += sa[i]!;
      this.sumSquareB[i]! += sb[i]!;
      this.sumStdA[i]! += Math.sqrt(Math.max(sa[i]! - ma[i]! ** 2, 0) * unbiased);
      this.sumStdB[i]! += Math.sqrt(Math.max(sb[i]! - mb[i]! ** 2, 0) * unbiased);
    }
    for (let k = 0; k < c * c; k++) this.sumCross[k]! += xy[k]!;
    this.batches += 1;
  }

  /** R[i, j] = (M − μ_A μ_Bᵀ)[i, j] / (σ_A[i]·σ_B[j] + 1e-4), NaN → 0. */
  result(): CorrelationResult {
    if (this.batches === 0) throw new InvalidArgumentError('activations', 'CorrelationStatistics.result: no batch was added.');
    const { channels: c, batches: k } = this;
    const avg = (sum: Float64Array) => sum.map((v) => v / k);
    const meanA = avg(this.sumMeanA);
    const meanB = avg(this.sumMeanB);
    const std = (square: Float64Array, mean: Float64Array, batchStd: Float64Array) =>
      this.variant === 'batch-std' ? avg(batchStd) : avg(square).map((s, i) => Math.sqrt(Math.max(s - mean[i]! ** 2, 0)));
    const stdA = std(this.sumSquareA, meanA, this.sumStdA);
    const stdB = std(this.sumSquareB, meanB, this.sumStdB);
    const correlation = new Float64Array(c * c);
    for (let i = 0; i < c; i++) {
      for (let j = 0; j < c; j++) {
        const r = (this.sumCross[i * c + j]! / k - meanA[i]! * meanB[j]!) / (stdA[i]! * stdB[j]! + 1e-4);
        correlation[i * c + j] = Number.isFinite(r) ? r : 0;
      }
    }
    return { correlation, channels: c, meanA, meanB, stdA, stdB, batches: k };
  }

  private start(c: number): void {
    this.channels = c;
    const zeros = () => new Float64Array(c);
    [this.sumMeanA, this.sumMeanB, this.sumSquareA, this.sumSquareB, this.sumStdA, this.sumStdB] = [zeros(), zeros(), zeros(), zeros(), zeros(), zeros()];
    this.sumCross = new Float64Array(c * c);
  }
}
