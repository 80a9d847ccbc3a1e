import * as tf from '@tensorflow/tfjs-core';
import { CifarLoader, type ImageSplit } from '@airbench-ts/cifar-data';

/** The predicted class of every test image, in batches of 500: what a run returns to the run-variance harness. */
export async function predictClasses(test: ImageSplit, logitsOf: (inputs: tf.Tensor4D) => tf.Tensor, signal?: AbortSignal): Promise<Uint8Array> {
  const predictions = new Uint8Array(test.length);
  for (const batch of new CifarLoader(test, { batchSize: 500 })) {
    const classes = tf.tidy(() => tf.argMax(logitsOf(batch.inputs), 1));
    predictions.set(await classes.data(), batch.indices[0]!);
    tf.dispose([classes, batch.inputs, batch.labels]);
    signal?.throwIfAborted();
  }
  return predictions;
}
