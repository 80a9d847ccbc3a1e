import * as tf from '@tensorflow/tfjs-core';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { InvalidArgumentError } from './errors';
import type { AirbenchModel } from './network';

// ---------------------------------------------------------------------------
// Whitening initialisation of the first layer (docs/papers.md §1.2)
// ---------------------------------------------------------------------------
//
// The first conv is frozen: its 2×2 filters are the eigenvectors of the second
// moment of 2×2 image patches, scaled by 1/√(λ + ε), so its output channels are
// decorrelated with unit variance on the data. The 12 eigenfilters are followed
// by their negations, so after the GELU every direction is kept for both signs.

/**
 * The uncentred second-moment matrix Σ = (1/N) Σ_p p pᵀ of every 2×2 patch
 * (stride 1) of the images, patches flattened in (row, col, channel) order: the
 * order of an HWIO kernel's first three axes. Returns a 12×12 row-major array.
 */
export function patchSecondMoment(images: tf.Tensor4D): Float64Array {
  const moment = tf.tidy(() => {
    const [n, h, w] = images.shape;
    const corner = (dy: number, dx: number) => tf.slice(images, [0, dy, dx, 0], [n, h - 1, w - 1, 3]);
    // [n, h-1, w-1, 12]: for each patch, (0,0) rgb, (0,1) rgb, (1,0) rgb, (1,1) rgb.
    const patches = tf.reshape(tf.concat([corner(0, 0), corner(0, 1), corner(1, 0), corner(1, 1)], 3), [-1, 12]);
    return tf.div(tf.matMul(patches, patches, true, false), patches.shape[0]);
  });
  const values = Float64Array.from(moment.dataSync());
  moment.dispose();
  return values;
}

/** Eigenvalues (descending) and unit eigenvectors (as rows) of a symmetric matrix. */
export function symmetricEigen(matrix: Float64Array, size: number): { values: number[]; vectors: number[][] } {
  const rows = Array.from({ length: size }, (_, i) => Array.from(matrix.subarray(i * size, (i + 1) * size)));
  const eig = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
  const order = eig.realEigenvalues.map((value, i) => [value, i] as const).sort((a, b) => b[0] - a[0]);
  const vectors = eig.eigenvectorMatrix;
  return {
    values: order.map(([value]) => value),
    vectors: order.map(([, i]) => vectors.getColumn(i)),
  };
}

/**
 * Sets the model's whitening kernel from the first `config.whiteningImages`
 * normalised, un-augmented training images: filter k is v_k/√(λ_k + ε) for the
 * 12 eigenpairs, then the 12 negations. Returns the eigenvalues. Fewer images
 * than the config names is an error, not a silently different init.
 */
export function initWhitening(model: AirbenchModel, images: tf.Tensor4D): number[] {
  const { whiteningImages: count, whiteningEps, whiteningWidth } = model.config;
  if (images.rank !== 4 || images.shape[0] < count) {
    throw new InvalidArgumentError(
      'whiteningImages',
      `initWhitening: the config asks for ${count} whitening images, but got a tensor of shape [${images.shape.join(', ')}]. Pass at least ${count} images, or set whiteningImages to the number you have (makeConfig(config, { whiteningImages: N })).`,
    );
  }
  const used = count < images.shape[0] ? tf.slice(images, [0, 0, 0, 0], [count, -1, -1, -1]) : images;
  const { values, vectors } = symmetricEigen(patchSecondMoment(used), 12);
  if (used !== images) used.dispose();

  const half = whiteningWidth / 2;
  const kernel = new Float32Array(12 * whiteningWidth); // HWIO [2, 2, 3, width]: entry (p, o) at p·width + o
  for (let k = 0; k < half; k++) {
    const scale = 1 / Math.sqrt(values[k]! + whiteningEps);
    for (let p = 0; p < 12; p++) {
      kernel[p * whiteningWidth + k] = vectors[k]![p]! * scale;
      kernel[p * whiteningWidth + k + half] = -vectors[k]![p]! * scale;
    }
  }
  tf.tidy(() => model.params['whiten.weight']!.assign(tf.tensor4d(kernel, [2, 2, 3, whiteningWidth])));
  return values;
}
