import * as tf from '@tensorflow/tfjs-core';
import { parameterGroup, validateConfig, type AirbenchConfig } from './config';
import type { TrainData } from './data';
import { AirbenchError, InvalidArgumentError } from './errors';
import { evaluate } from './evaluate';
import { Lookahead } from './lookahead';
import { smoothedCrossEntropySum } from './loss';
import { disposeModel, forward, makeNet, type AirbenchModel } from './network';
import { NesterovSgd } from './optimizer';
import { lookaheadDecay, lrMultiplier, totalSteps } from './schedule';
import { initWhitening } from './whitening';
import { yieldToEventLoop } from './yield';

// ---------------------------------------------------------------------------
// Training (SPEC §1.3)
// ---------------------------------------------------------------------------

export interface EpochRecord {
  epoch: number;
  /** Smoothed cross-entropy per image of the epoch's last batch (airbench's print). */
  trainLoss: number;
  /** Accuracy on the epoch's last batch. */
  trainAcc: number;
  /** Accuracy on `data.test` without TTA, or null without test data. Not timed. */
  valAcc: number | null;
  /** Steps completed so far. */
  steps: number;
  /** Timed seconds so far: whitening init + training steps (per-epoch evaluation excluded). */
  seconds: number;
}

export interface StepInfo {
  step: number;
  totalSteps: number;
  epoch: number;
  lrMultiplier: number;
}

export interface TrainOptions {
  /** Seeds the initial weights. The data order is the batch source's business. Default 0. */
  seed?: number;
  /** After each epoch, with the model as it stands (read it, do not dispose it). */
  onEpoch?: (record: EpochRecord, model: AirbenchModel) => void;
  onStep?: (info: StepInfo) => void;
  /** Aborting stops training between steps; the partial model is freed and the promise rejects. */
  signal?: AbortSignal;
}

export interface TrainResult {
  model: AirbenchModel;
  history: EpochRecord[];
  totalSteps: number;
  /** Timed seconds: the whitening init, and the training steps. */
  seconds: { whitening: number; training: number };
}

/**
 * Trains a network from scratch: seeded init, whitening from data, then
 * ceil(epochs) passes over `data.train`, stopping at T = ceil(batches × epochs)
 * steps, with the warm-up/warm-down schedule, Nesterov SGD in two parameter
 * groups and lookahead. Returns the final (slow) weights.
 *
 * ```ts
 * const { model } = await train(CONFIGS.airbench94, { train: loader, whitening }, { seed: 0 });
 * ```
 */
export async function train(config: AirbenchConfig, data: TrainData, options: TrainOptions = {}): Promise<TrainResult> {
  const seed = options.seed ?? 0;
  validateConfig(config);
  checkTrainData(config, data);
  const steps = totalSteps(config, data.train.length);
  // The two SGD groups, computed once, not per parameter per step.
  const groups = { shift: parameterGroup(config, 'norm'), other: parameterGroup(config, 'other') };
  const groupOf = (name: string) => (name.includes('norm') ? groups.shift : groups.other);

  const started = performance.now();
  const model = makeNet(config, seed);
  // The slow copy is taken before the whitening init, as in airbench (its effect is negligible).
  const lookahead = new Lookahead(model);
  const optimizer = new NesterovSgd(config.momentum);
  const history: EpochRecord[] = [];
  try {
    initWhitening(model, data.whitening);
    const whiteningSeconds = (performance.now() - started) / 1000;
    let trainingSeconds = 0;
    let step = 0;
    for (let epoch = 0; epoch < Math.ceil(config.epochs) && step < steps; epoch++) {
      const epochStart = performance.now();
      // The whitening bias trains only in the first epochs; then it has no gradient at all.
      const names = Object.keys(model.params).filter(
        (name) => name !== 'whiten.weight' && (name !== 'whiten.bias' || epoch < config.whiteningBiasEpochs),
      );
      const variables = names.map((name) => model.params[name]!);
      let last: tf.Tensor[] = [];
      for (const { inputs, labels } of data.train.batches(epoch)) {
        if (options.signal?.aborted) {
          tf.dispose([inputs, labels, ...last]);
          throw options.signal.reason ?? new AirbenchError('training was aborted');
        }
        const multiplier = lrMultiplier(step, steps, config.schedule);
        options.onStep?.({ step, totalSteps: steps, epoch, lrMultiplier: multiplier });
        tf.dispose(last);
        let hits: tf.Tensor | undefined;
        const { value, grads } = tf.variableGrads(() => {
          const { logits } = forward(model, inputs, { training: true });
          hits = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.cast(labels, 'int32')), 'float32')));
          return smoothedCrossEntropySum(logits, labels, config.labelSmoothing);
        }, variables);
        const byName: Record<string, tf.Tensor> = {};
        names.forEach((name, i) => (byName[name] = grads[variables[i]!.name]!));
        optimizer.step(model.params, byName, groupOf, multiplier);
        tf.dispose([...Object.values(grads), inputs]);
        last = [value, hits!, labels];
        step += 1;
        if (step % config.lookahead.every === 0) lookahead.update(lookaheadDecay(step, steps, config.lookahead));
        if (step >= steps) {
          lookahead.update(1); // the final network is the slow weights
          break;
        }
        await yieldToEventLoop();
      }
      const batch = last[2]?.shape[0] ?? 1;
      const trainLoss = (last[0]?.dataSync()[0] ?? NaN) / batch;
      const trainAcc = (last[1]?.dataSync()[0] ?? NaN) / batch;
      tf.dispose(last);
      trainingSeconds += (performance.now() - epochStart) / 1000;
      const valAcc = data.test ? (await evaluate(model, data.test, { tta: 0, ...(options.signal ? { signal: options.signal } : {}) })).accuracy : null;
      const record = { epoch, trainLoss, trainAcc, valAcc, steps: step, seconds: whiteningSeconds + trainingSeconds };
      history.push(record);
      options.onEpoch?.(record, model);
    }
    return { model, history, totalSteps: steps, seconds: { whitening: whiteningSeconds, training: trainingSeconds } };
  } catch (error) {
    disposeModel(model);
    throw error;
  } finally {
    lookahead.dispose();
    optimizer.dispose();
  }
}

function checkTrainData(config: AirbenchConfig, data: TrainData): void {
  const source = data?.train;
  if (!source || typeof source.batches !== 'function' || !(source.length > 0)) {
    throw new InvalidArgumentError(
      'data.train',
      `train: 'data.train' must have batches(epoch) and a positive 'length' (batches per epoch), e.g. a CifarLoader.`,
    );
  }
  // The step count and the decay per image are per batch of config.batchSize: a
  // source cut another way would silently train a different schedule.
  if (source.batchSize !== config.batchSize) {
    throw new InvalidArgumentError(
      'data.train',
      `train: 'data.train' gives batches of ${String(source.batchSize)} images, but config.batchSize is ${config.batchSize}. Build the loader with batchSize ${config.batchSize}, or set batchSize in the config.`,
    );
  }
  if (source.dropLast !== true) {
    throw new InvalidArgumentError(
      'data.train',
      `train: 'data.train' must drop the last, smaller batch of each epoch (dropLast: true), as airbench does: a short batch would be a step of another size.`,
    );
  }
  if (!data.whitening || data.whitening.rank !== 4 || data.whitening.shape[3] !== 3) {
    throw new InvalidArgumentError('data.whitening', `train: 'data.whitening' must be a [N, 32, 32, 3] tensor of normalised training images (airbench uses the first 5,000).`);
  }
  if (data.whitening.shape[0] < config.whiteningImages) {
    throw new InvalidArgumentError(
      'data.whitening',
      `train: config.whiteningImages is ${config.whiteningImages}, but 'data.whitening' holds ${data.whitening.shape[0]} images. Pass more, or set whiteningImages to ${data.whitening.shape[0]}.`,
    );
  }
}
