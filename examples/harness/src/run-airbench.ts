// One airbench run of a study (examples/variance, examples/flip-ablation): the
// run function the run-variance harness calls with a run's seeds. The model seed
// initialises the network; the order and augmentation seeds drive the loader
// (airbenchLoader); the result is the predicted class of every test image.
import type * as tf from '@tensorflow/tfjs-core';
import { loadCifar10, normalizeImages, type Cifar10 } from '@airbench-ts/cifar-data';
import {
  AirbenchError,
  checkResumable,
  CONFIGS,
  decodeTrainingState,
  disposeModel,
  encodeTrainingState,
  infer,
  makeConfig,
  totalSteps,
  train,
  type AirbenchConfig,
  type CheckpointOptions,
  type Precision,
  type TrainingState,
  type VariantName,
} from '@airbench-ts/airbench-net';
import type { CheckpointSlot, RunOutput, Seeds } from '@airbench-ts/run-variance';
import { airbenchLoader } from './airbench-loader';
import { predictClasses } from './predict';

/** A narrowed airbench94 on the first `trainSubset` training and `testSubset` test images. */
export interface AirbenchSetting {
  widths: [number, number, number];
  trainSubset: number;
  testSubset: number;
  epochs: number;
  batchSize: number;
  tta: 0 | 1 | 2;
}

export interface RunSetting extends AirbenchSetting {
  /** The airbench variant whose hyperparameters the run takes (default airbench94); widths, batch size and epochs come from the setting. */
  variant?: VariantName;
  backend: string;
  /** The training images' flip: airbench's alternating (the default), random, or none (examples/flip-ablation). */
  flip?: 'none' | 'random' | 'alternating';
  /** Arithmetic of the convolutions (default fp32). */
  precision?: Precision;
}

let data: Promise<Pick<Cifar10, 'train' | 'test'>> | undefined;
let whitening: tf.Tensor4D | undefined;

/** The images a setting uses, and only those: a worker keeps no more than it trains and evaluates on. */
async function load(setting: AirbenchSetting): Promise<Pick<Cifar10, 'train' | 'test'>> {
  // Decoded are only those images: a worker on 5,000 training images never holds the other 45,000.
  const { train, test } = await loadCifar10({ progress: false, subset: { train: setting.trainSubset, test: setting.testSubset } });
  return { train, test };
}

/** The airbench config of a setting. */
function configOf(setting: AirbenchSetting & Pick<RunSetting, 'precision' | 'flip' | 'variant'>): AirbenchConfig {
  return makeConfig(setting.variant ?? 'airbench94', {
    ...(setting.precision ? { precision: setting.precision } : {}),
    widths: setting.widths,
    batchSize: setting.batchSize,
    epochs: setting.epochs,
    tta: setting.tta,
    whiteningImages: Math.min(5000, setting.trainSubset),
    ...(setting.flip ? { augmentation: { ...CONFIGS[setting.variant ?? 'airbench94'].augmentation, flip: setting.flip } } : {}),
  });
}

/** What the harness gives a run besides its seeds: the stop signal and the run's checkpoint in the store. */
export interface RunContext {
  signal?: AbortSignal;
  checkpoint?: CheckpointSlot;
}

/**
 * Trains one network with the run's seeds and returns its predicted class for
 * every test image. With a checkpoint slot, the training's state goes into the
 * store after every epoch (and when training ends), and a run reclaimed after its
 * worker died resumes from there: the same result, bit for bit, as if it had not.
 */
export async function runAirbench(setting: RunSetting, seeds: Seeds, context: RunContext = {}): Promise<RunOutput> {
  const { signal, checkpoint } = context;
  data ??= load(setting);
  const { train: images, test } = await data;
  const config = configOf(setting);
  whitening ??= normalizeImages(images, { count: config.whiteningImages });
  const model = seeds.model ?? 0;
  const loader = airbenchLoader(images, config, { order: seeds.order ?? 0, aug: seeds.aug ?? 0 });
  const resumeFrom = checkpoint ? await loadState(checkpoint, seeds, (state) => checkResumable(state, config, model, loader.length, totalSteps(config, loader.length))) : undefined;
  let checkpointSeconds = 0;
  const saveEveryEpoch: CheckpointOptions | undefined = checkpoint && {
    everyEpochs: 1,
    save: async (state) => {
      const started = performance.now();
      await checkpoint.save(await encodeTrainingState(state), { step: state.step, totalSteps: state.totalSteps, epoch: state.epoch });
      checkpointSeconds += (performance.now() - started) / 1000;
    },
  };
  const result = await train(config, { train: loader, whitening }, { seed: model, ...(signal ? { signal } : {}), ...(resumeFrom ? { resumeFrom } : {}), ...(saveEveryEpoch ? { checkpoint: saveEveryEpoch } : {}) });
  try {
    const evalStart = performance.now();
    const predictions = await predictClasses(test, (inputs) => infer(result.model, inputs, { tta: config.tta }), signal);
    const trainSeconds = result.seconds.whitening + result.seconds.training;
    // Training (all of it, across resumes) and the final evaluation; the data is loaded once per worker.
    const seconds = trainSeconds + (performance.now() - evalStart) / 1000;
    return {
      predictions,
      seconds,
      backend: setting.backend,
      extra: { trainSeconds, lastLoss: result.history.at(-1)?.trainLoss, ...(checkpoint ? { checkpointSeconds } : {}), ...(result.resumedFrom ? { resumedFrom: result.resumedFrom } : {}) },
    };
  } finally {
    disposeModel(result.model);
  }
}

/**
 * The run's stored training state, or undefined: none, damaged, or one this training cannot continue (written
 * by another airbench-net whose config has other fields, say). Said on stderr; the run starts over rather than
 * failing on every attempt.
 */
async function loadState(checkpoint: CheckpointSlot, seeds: Seeds, check: (state: TrainingState) => void): Promise<TrainingState | undefined> {
  const bytes = await checkpoint.load();
  if (!bytes) return undefined;
  try {
    const state = await decodeTrainingState(bytes, `the checkpoint of run ${JSON.stringify(seeds)}`);
    check(state);
    return state;
  } catch (error) {
    if (!AirbenchError.isInstance(error)) throw error;
    process.stderr.write(`warning: ${error.message} The run starts over.\n`);
    return undefined;
  }
}
