import * as tf from '@tensorflow/tfjs-core';

/**
 * Cross-entropy with label smoothing ε, **summed** over the batch (not averaged):
 * the target is (1−ε)·onehot + ε/classes on every class. Summing makes the
 * gradient scale with the batch size, which the decoupled lr/wd account for.
 */
export function smoothedCrossEntropySum(logits: tf.Tensor2D, labels: tf.Tensor1D, smoothing: number): tf.Scalar {
  return tf.tidy(() => {
    const classes = logits.shape[1];
    const target = tf.add(tf.mul(tf.oneHot(tf.cast(labels, 'int32'), classes), 1 - smoothing), smoothing / classes);
    return tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(logits)))) as tf.Scalar;
  });
}
