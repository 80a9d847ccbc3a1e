import * as tf from '@tensorflow/tfjs-core';
import { parameterGroup, validateConfig, type AirbenchConfig } from './config';
import type { TrainData } from './data';
import { checkResumable, TRAINING_STATE_FORMAT, type TrainingState } from './checkpoint';
import type { EpochRecord } from './epoch-record';
import { AirbenchError, InvalidArgumentError } from './errors';
import { evaluate } from './evaluate';
import { Lookahead } from './lookahead';
import { smoothedCrossEntropySum } from './loss';
import { disposeModel, forward, makeNet, type AirbenchModel } from './network';
import { Muon } from './muon';
import { NesterovSgd, type ParameterGroup } from './optimizer';
import { lookaheadDecay, lrMultiplier, totalSteps } from './schedule';
import { initWhitening } from './whitening';
import { yieldToEventLoop } from './yield';

// ---------------------------------------------------------------------------
// Training (docs/papers.md §1.3)
// ---------------------------------------------------------------------------

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
  /**
   * Aborting stops training between steps; the partial model is freed and the promise rejects. With `checkpoint`,
   * the state after the last step done is saved first, so the training resumes from where it stopped.
   */
  signal?: AbortSignal;
  /** Continue a training from a state `checkpoint.save` received (same config, seed and data): bit-identical to never stopping. */
  resumeFrom?: TrainingState;
  /** Hand out the training's state now and then, to resume it after any stop. */
  checkpoint?: CheckpointOptions;
}

export interface CheckpointOptions {
  /** A state after every this many epochs (after the epoch's record). Default 1, unless `everySteps` is set. */
  everyEpochs?: number;
  /** A state after every this many steps, mid-epoch too. Default: none. */
  everySteps?: number;
  /**
   * Receives each state, and a last one when training ends (so a stop during the
   * final evaluation loses no training). Training waits for it. The arrays are
   * fresh copies: keep them or encode them (`encodeTrainingState`).
   */
  save: (state: TrainingState) => void | Promise<void>;
}

export interface TrainResult {
  model: AirbenchModel;
  history: EpochRecord[];
  totalSteps: number;
  /** Timed seconds: the whitening init, and the training steps (of the resumed part too). */
  seconds: { whitening: number; training: number };
  /** Where a resumed training started: the state's step, epoch and batch; null for a training from scratch. */
  resumedFrom: { step: number; epoch: number; batch: number } | null;
}

/**
 * Trains a network from scratch: seeded init, whitening from data, then
 * ceil(epochs) passes over `data.train`, stopping at T = ceil(batches × epochs)
 * steps, with the warm-up/warm-down schedule, Nesterov SGD in two parameter
 * groups and lookahead. Returns the final (slow) weights.
 *
 * With `checkpoint`, it hands out its whole state now and then; given one back
 * as `resumeFrom` (same config, seed and data), it continues where that state
 * was taken and ends with the same weights, bit for bit, as a training that
 * never stopped (on the same backend).
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
  const resume = options.resumeFrom;
  if (resume) checkResumable(resume, config, seed, data.train.length, steps);
  const every = checkpointEvery(options.checkpoint);
  const optimizers = makeOptimizers(config, data.train.length);

  const started = performance.now();
  const model = makeNet(config, seed);
  // The slow copy is taken before the whitening init, as in airbench (its effect is negligible).
  const lookahead = config.lookahead ? new Lookahead(model) : null;
  const { sgd: optimizer, muon } = optimizers;
  const history: EpochRecord[] = resume ? structuredClone(resume.history) : [];
  try {
    if (resume) restoreState(resume, model, optimizer, muon, lookahead);
    else initWhitening(model, data.whitening);
    const whiteningSeconds = resume ? resume.seconds.whitening : (performance.now() - started) / 1000;
    let trainingSeconds = resume?.seconds.training ?? 0;
    let step = resume?.step ?? 0;
    const save = async (epoch: number, batch: number) => {
      const seconds = { whitening: whiteningSeconds, training: trainingSeconds };
      await options.checkpoint!.save(await captureState({ config, seed, step, steps, epoch, batch, batchesPerEpoch: data.train.length, history, seconds, model, optimizer, muon, lookahead }));
    };
    for (let epoch = resume?.epoch ?? 0; epoch < Math.ceil(config.epochs) && step < steps; epoch++) {
      let epochStart = performance.now();
      // A resumed epoch skips the batches it had done: the sources are stateless, so the rest are the same batches.
      const skip = resume && epoch === resume.epoch ? resume.batch : 0;
      // The whitening bias trains only in the first epochs; then it has no gradient at all.
      const names = Object.keys(model.params).filter(
        (name) => name !== 'whiten.weight' && (name !== 'whiten.bias' || epoch < config.whiteningBiasEpochs),
      );
      const variables = names.map((name) => model.params[name]!);
      let last: tf.Tensor[] = [];
      let batch = 0;
      for (const { inputs, labels } of data.train.batches(epoch)) {
        batch += 1;
        if (batch <= skip) {
          tf.dispose([inputs, labels]);
          continue;
        }
        if (options.signal?.aborted) {
          tf.dispose([inputs, labels, ...last]);
          // With checkpoints, a stop loses no step: the state after the last batch done, as a mid-epoch state.
          if (options.checkpoint && step > (resume?.step ?? 0)) {
            trainingSeconds += (performance.now() - epochStart) / 1000;
            await save(epoch, batch - 1);
          }
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
        optimizers.step(model.params, byName, step, steps, multiplier);
        tf.dispose([...Object.values(grads), inputs]);
        last = [value, hits!, labels];
        step += 1;
        if (lookahead && step % config.lookahead!.every === 0) lookahead.update(lookaheadDecay(step, steps, config.lookahead!));
        if (step >= steps) {
          lookahead?.update(1); // the final network is the slow weights
          break;
        }
        // Mid-epoch states; the one after an epoch's last batch waits for the epoch's record.
        if (every.steps && step % every.steps === 0 && batch < data.train.length) {
          trainingSeconds += (performance.now() - epochStart) / 1000;
          // A save that throws (a full disk, a lost lease) ends the training; the batch's tensors go with it.
          await save(epoch, batch).catch((error: unknown) => {
            tf.dispose(last);
            throw error;
          });
          epochStart = performance.now();
        }
        await yieldToEventLoop();
      }
      const size = last[2]?.shape[0] ?? 1;
      const trainLoss = (last[0]?.dataSync()[0] ?? NaN) / size;
      const trainAcc = (last[1]?.dataSync()[0] ?? NaN) / size;
      tf.dispose(last);
      trainingSeconds += (performance.now() - epochStart) / 1000;
      const valAcc = data.test ? (await evaluate(model, data.test, { tta: 0, ...(options.signal ? { signal: options.signal } : {}) })).accuracy : null;
      const record = { epoch, trainLoss, trainAcc, valAcc, steps: step, seconds: whiteningSeconds + trainingSeconds };
      history.push(record);
      options.onEpoch?.(record, model);
      const due = step >= steps || (every.epochs !== undefined && (epoch + 1) % every.epochs === 0) || (every.steps !== undefined && step % every.steps === 0);
      if (options.checkpoint && due) await save(epoch + 1, 0);
    }
    const resumedFrom = resume ? { step: resume.step, epoch: resume.epoch, batch: resume.batch } : null;
    return { model, history, totalSteps: steps, seconds: { whitening: whiteningSeconds, training: trainingSeconds }, resumedFrom };
  } catch (error) {
    disposeModel(model);
    throw error;
  } finally {
    lookahead?.dispose();
    optimizer.dispose();
    muon?.dispose();
  }
}

/**
 * The step's optimisers. airbench: Nesterov SGD in two groups (the BatchNorm shifts
 * at 64× the lr), the schedule's multiplier on both. airbench94_muon: Muon for the
 * conv filters (4-d parameters) and Nesterov SGD for the rest, each group at its own
 * learning rate: the whitening bias decays to 0 over its own epochs, the others with
 * the schedule.
 */
function makeOptimizers(config: AirbenchConfig, batchesPerEpoch: number) {
  if (!config.muon) {
    // The two SGD groups, computed once, not per parameter per step.
    const groups = { shift: parameterGroup(config, 'norm'), other: parameterGroup(config, 'other') };
    const groupOf = (name: string) => (name.includes('norm') ? groups.shift : groups.other);
    const sgd = new NesterovSgd(config.momentum);
    return {
      sgd,
      muon: null,
      step: (params: Record<string, tf.Variable>, grads: Record<string, tf.Tensor>, _step: number, _total: number, multiplier: number) => sgd.step(params, grads, groupOf, multiplier),
    };
  }
  const { lr, momentum, steps: nsSteps, sgd: s } = config.muon;
  const sgd = new NesterovSgd(s.momentum);
  const muon = new Muon({ momentum, nesterov: true, steps: nsSteps });
  // Coupled decay as PyTorch's SGD: λ = decay / lr, so that lr·λ, the shrinkage per step, is decay × batch.
  const decay = s.weightDecay * config.batchSize;
  const whiteningSteps = config.whiteningBiasEpochs * batchesPerEpoch;
  return {
    sgd,
    muon,
    step: (params: Record<string, tf.Variable>, grads: Record<string, tf.Tensor>, step: number, _total: number, multiplier: number) => {
      const filters: Record<string, tf.Tensor> = {};
      const rest: Record<string, tf.Tensor> = {};
      for (const [name, grad] of Object.entries(grads)) (params[name]!.rank === 4 ? filters : rest)[name] = grad;
      muon.step(params, filters, lr * multiplier);
      const groupOf = (name: string): ParameterGroup => {
        if (name === 'whiten.bias') return { lr: s.biasLr * (1 - step / whiteningSteps), weightDecay: decay / s.biasLr };
        const base = name.startsWith('head') ? s.headLr : s.biasLr;
        return { lr: base * multiplier, weightDecay: decay / base };
      };
      sgd.step(params, rest, groupOf, 1);
    },
  };
}

function checkpointEvery(checkpoint: CheckpointOptions | undefined): { epochs?: number; steps?: number } {
  if (!checkpoint) return {};
  if (typeof checkpoint.save !== 'function') throw new InvalidArgumentError('checkpoint', `train: 'checkpoint.save' must be a function (state) => void | Promise<void>.`);
  for (const key of ['everyEpochs', 'everySteps'] as const) {
    const n = checkpoint[key];
    if (n !== undefined && !(Number.isSafeInteger(n) && n >= 1)) throw new InvalidArgumentError('checkpoint', `train: 'checkpoint.${key}' must be a positive integer, not ${String(n)}.`);
  }
  if (checkpoint.everySteps !== undefined) return { steps: checkpoint.everySteps, ...(checkpoint.everyEpochs !== undefined ? { epochs: checkpoint.everyEpochs } : {}) };
  return { epochs: checkpoint.everyEpochs ?? 1 };
}

interface Capture {
  config: AirbenchConfig;
  seed: number;
  step: number;
  steps: number;
  epoch: number;
  batch: number;
  batchesPerEpoch: number;
  history: EpochRecord[];
  seconds: { whitening: number; training: number };
  model: AirbenchModel;
  optimizer: NesterovSgd;
  muon: Muon | null;
  lookahead: Lookahead | null;
}

/** Copies every tensor a step depends on out of the backend, with the position in the run. */
async function captureState(c: Capture): Promise<TrainingState> {
  const named: [string, tf.Tensor][] = [
    ...Object.entries(c.model.params).map(([name, v]) => [`param/${name}`, v] as [string, tf.Tensor]),
    ...Object.entries(c.model.buffers).map(([name, v]) => [`buffer/${name}`, v] as [string, tf.Tensor]),
    ...[...c.optimizer.state, ...(c.muon?.state ?? [])].map(([name, v]) => [`momentum/${name}`, v] as [string, tf.Tensor]),
    ...[...(c.lookahead?.state ?? [])].map(([name, v]) => [`slow/${name}`, v] as [string, tf.Tensor]),
  ];
  const values = await Promise.all(named.map(([, t]) => t.data() as Promise<Float32Array>));
  const tensors: TrainingState['tensors'] = {};
  named.forEach(([name, t], i) => (tensors[name] = { shape: [...t.shape], values: values[i]! }));
  return {
    format: TRAINING_STATE_FORMAT,
    config: c.config,
    seed: c.seed,
    step: c.step,
    totalSteps: c.steps,
    epoch: c.epoch,
    batch: c.batch,
    batchesPerEpoch: c.batchesPerEpoch,
    whiteningBiasFrozen: c.epoch >= c.config.whiteningBiasEpochs,
    history: structuredClone(c.history),
    seconds: { ...c.seconds },
    tensors,
  };
}

/** Puts a state's tensors into a fresh model, optimizer and lookahead; every one must be there with its shape. */
function restoreState(state: TrainingState, model: AirbenchModel, optimizer: NesterovSgd, muon: Muon | null, lookahead: Lookahead | null): void {
  const take = (key: string, shape: readonly number[]): tf.Tensor => {
    const found = state.tensors[key];
    if (!found || found.shape.join() !== shape.join() || found.values.length !== shape.reduce((a, b) => a * b, 1)) {
      throw new InvalidArgumentError('resumeFrom', `train: cannot resume: the state's '${key}' is ${found ? `[${found.shape.join(', ')}]` : 'missing'}, the network needs [${shape.join(', ')}].`);
    }
    // A copy: a backend may keep the array it is given, and this one views the whole decoded state.
    return tf.tensor(found.values.slice(), [...shape], 'float32');
  };
  const owned: tf.Tensor[] = [];
  try {
    for (const [kind, vars] of [['param', model.params], ['buffer', model.buffers]] as const) {
      for (const [name, v] of Object.entries(vars)) {
        const t = take(`${kind}/${name}`, v.shape);
        owned.push(t);
        v.assign(t);
      }
    }
    if (lookahead) {
      const slow: Record<string, tf.Tensor> = {};
      for (const [name, v] of Object.entries({ ...model.params, ...model.buffers })) owned.push((slow[name] = take(`slow/${name}`, v.shape)));
      lookahead.setState(slow);
    }
    // One momentum buffer per parameter that has had a gradient: Muon's for the filters (when it trains them), SGD's otherwise.
    const momentum: Record<string, tf.Tensor> = {};
    const filterMomentum: Record<string, tf.Tensor> = {};
    for (const key of Object.keys(state.tensors).filter((k) => k.startsWith('momentum/'))) {
      const name = key.slice('momentum/'.length);
      const param = model.params[name];
      if (!param) throw new InvalidArgumentError('resumeFrom', `train: cannot resume: the state has momentum for '${name}', which the network does not have.`);
      owned.push(((muon && param.rank === 4 ? filterMomentum : momentum)[name] = take(key, param.shape)));
    }
    optimizer.setState(momentum);
    muon?.setState(filterMomentum);
  } finally {
    tf.dispose(owned);
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
