import * as tf from '@tensorflow/tfjs-core';
import type { BatchSource } from './data';
import { AirbenchError } from './errors';
import { forward, type AirbenchModel } from './network';
import { yieldToEventLoop } from './yield';

// ---------------------------------------------------------------------------
// Evaluation with test-time augmentation (docs/papers.md §1.3)
// ---------------------------------------------------------------------------

export type TtaLevel = 0 | 1 | 2;

/**
 * Logits of a normalised NHWC batch, BatchNorm in eval mode. Averaging is on logits.
 * - level 0: net(x)
 * - level 1: ½·net(x) + ½·net(mirror x)
 * - level 2: ½·M(x) + ¼·M(u) + ¼·M(d), with M the level-1 logits, and u, d the
 *   image shifted one pixel down-right and up-left (reflect padding). View weights:
 *   1/4 original, 1/4 mirrored, 1/8 each of the four shifted views; six passes.
 * The caller owns the returned tensor.
 */
export function infer(model: AirbenchModel, inputs: tf.Tensor4D, options: { tta?: TtaLevel } = {}): tf.Tensor2D {
  const level = options.tta ?? model.config.tta;
  return tf.tidy(() => {
    // Each pass in its own scope: only its logits outlive it, not its activations.
    const net = (x: tf.Tensor4D) => tf.tidy(() => forward(model, x, { training: false }).logits);
    const mirrored = (x: tf.Tensor4D) => tf.mul(tf.add(net(x), net(tf.reverse(x, 2))), 0.5) as tf.Tensor2D;
    if (level === 0) return net(inputs);
    if (level === 1) return mirrored(inputs);
    const [n, h, w, c] = inputs.shape;
    const padded = tf.mirrorPad(inputs, [[0, 0], [1, 1], [1, 1], [0, 0]], 'reflect');
    const up = tf.slice(padded, [0, 0, 0, 0], [n, h, w, c]);
    const down = tf.slice(padded, [0, 2, 2, 0], [n, h, w, c]);
    return tf.add(tf.mul(mirrored(inputs), 0.5), tf.mul(tf.add(mirrored(up), mirrored(down)), 0.25)) as tf.Tensor2D;
  });
}

export interface Evaluation {
  /** Fraction of images whose argmax logit is the label. */
  accuracy: number;
  /** Mean cross-entropy (no smoothing). */
  loss: number;
  /** Per-image correctness, 1 or 0, in the source's order. */
  correct: Uint8Array;
  count: number;
}

export interface EvaluateOptions {
  /** Default: the config's level. */
  tta?: TtaLevel;
  /** Aborting stops between batches: the promise rejects with the signal's reason, nothing leaks. */
  signal?: AbortSignal;
}

/**
 * Accuracy and loss of the model over one pass of `data` (e.g. the test loader),
 * with TTA. Yields to the event loop between batches, so a Ctrl-C handler or a
 * timer can run during a long evaluation (airbench94's takes about a minute on a
 * CPU) and abort it through `signal`.
 */
export async function evaluate(model: AirbenchModel, data: BatchSource, options: EvaluateOptions = {}): Promise<Evaluation> {
  const correct: number[] = [];
  let lossSum = 0;
  for (const { inputs, labels } of data) {
    if (options.signal?.aborted) {
      tf.dispose([inputs, labels]);
      throw options.signal.reason ?? new AirbenchError('evaluation was aborted');
    }
    const [hits, loss] = tf.tidy(() => {
      const logits = infer(model, inputs, options);
      const hit = tf.equal(tf.argMax(logits, 1), tf.cast(labels, 'int32'));
      const ce = tf.sum(tf.neg(tf.sum(tf.mul(tf.oneHot(tf.cast(labels, 'int32'), logits.shape[1]), tf.logSoftmax(logits)), 1)));
      return [hit.dataSync(), ce.dataSync()[0]!] as const;
    });
    tf.dispose([inputs, labels]);
    for (const h of hits) correct.push(h ? 1 : 0);
    lossSum += loss;
    await yieldToEventLoop();
  }
  const count = correct.length;
  return { accuracy: correct.reduce((a, b) => a + b, 0) / count, loss: lossSum / count, correct: Uint8Array.from(correct), count };
}
