import * as tf from '@tensorflow/tfjs-core';
import { CifarLoader, type ImageSplit } from '@airbench-ts/cifar-data';
import { createFlipPolicy, type FlipMode } from '@airbench-ts/derand-flip';
import { resetBatchNorm } from '@airbench-ts/repair';
import { decodeEndpointState, encodeEndpointState } from './endpoint-state';
import type { EndpointCheckpoint, ExampleModel, Recipe } from './model';

/** The learning-rate multiplier at `step` of `total`: linear from 0 to 1 over the warm-up, then linear to 0 (docs/papers.md §3.8's triangle). */
export function triangular(step: number, total: number, warmupFraction: number): number {
  const peak = Math.max(1, Math.round(total * warmupFraction));
  return step < peak ? (step + 1) / peak : Math.max(0, (total - step) / Math.max(1, total - peak));
}

/**
 * Trains one endpoint from `seed`: the model's own training, or SGD with the
 * recipe (momentum, coupled weight decay on conv and linear kernels, triangular
 * learning rate, flip + translate, BN in train mode). A BN network's running
 * statistics are then set to the exact average over `statistics` (docs/papers.md §3.4's
 * reset), so every endpoint's BNs are measured the same way. `flip` is the
 * training images' flip: random (the papers' recipes, the default), or
 * alternating / none for examples/flip-ablation.
 */
export async function trainEndpoint(
  model: ExampleModel,
  seed: number,
  images: ImageSplit,
  statistics: () => Iterable<tf.Tensor>,
  onStep: (step: number, total: number) => void,
  flip: FlipMode | 'none' = 'random',
  checkpoint?: EndpointCheckpoint,
): Promise<Record<string, tf.Tensor>> {
  const training = model.training;
  if (training.kind === 'own') return training.train(seed, images, onStep, checkpoint);
  const { recipe } = training;
  const { weights, trainable } = training.init(seed);
  try {
    await sgd(model, weights, trainable, recipe, seed, images, onStep, flip, checkpoint);
    if (!model.norms?.length) return weights;
    const reset = await resetBatchNorm(model, weights, statistics());
    for (const norm of model.norms) {
      weights[norm.mean]!.assign(reset[norm.mean]!);
      weights[norm.variance]!.assign(reset[norm.variance]!);
      tf.dispose([reset[norm.mean]!, reset[norm.variance]!]);
    }
    return weights;
  } catch (error) {
    tf.dispose(Object.values(weights));
    throw error;
  }
}

async function sgd(
  model: ExampleModel,
  weights: Record<string, tf.Variable>,
  trainable: string[],
  recipe: Recipe,
  seed: number,
  images: ImageSplit,
  onStep: (step: number, total: number) => void,
  flip: FlipMode | 'none',
  checkpoint?: EndpointCheckpoint,
): Promise<void> {
  const loader = new CifarLoader(images, {
    batchSize: Math.min(recipe.batchSize, images.length),
    shuffle: true,
    dropLast: true,
    translate: recipe.translate,
    ...(flip === 'none' ? {} : { flip: createFlipPolicy({ seed, mode: flip }) }),
    orderSeed: seed,
    augmentSeed: seed,
  });
  const total = Math.ceil(recipe.epochs * loader.length);
  const variables = trainable.map((name) => weights[name]!);
  // Decay conv and linear kernels only (rank ≥ 2), not biases or norm parameters.
  const decayed = new Set(trainable.filter((name) => weights[name]!.rank >= 2));
  const optimizer = tf.train.momentum(recipe.lr, recipe.momentum);
  try {
    // A stored state of this training: its weights, the optimiser's accumulators and its place; the loader's
    // batches are a function of (seed, epoch), so skipping the batches done gives the rest of the same run.
    const resumed = checkpoint ? await loadState(checkpoint, weights, optimizer) : null;
    if (resumed) checkpoint!.onResume?.(resumed.step, total);
    let step = resumed?.step ?? 0;
    let epoch = resumed?.epoch ?? 0;
    let batch = 0;
    const save = async () => checkpoint!.save(await encodeEndpointState({ key: checkpoint!.key, step, epoch, batch, weights, optimizer: await optimizer.getWeights() }));
    for (; step < total; epoch++) {
      batch = 0;
      for (const { inputs, labels } of loader.batches(epoch)) {
        batch += 1;
        if (resumed && epoch === resumed.epoch && batch <= resumed.batch) {
          tf.dispose([inputs, labels]);
          continue;
        }
        if (step >= total) {
          tf.dispose([inputs, labels]);
          break;
        }
        optimizer.setLearningRate(recipe.lr * triangular(step, total, recipe.warmupFraction));
        const loss = tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.cast(labels, 'int32'), 10), model.forward(weights, inputs, { normalization: 'batch' })) as tf.Scalar, variables);
          for (const name of decayed) grads[weights[name]!.name] = tf.add(grads[weights[name]!.name]!, tf.mul(weights[name]!, recipe.weightDecay));
          // applyGradients' typing wants variables; by name, as variableGrads returns them, is what it reads.
          optimizer.applyGradients(grads as Parameters<typeof optimizer.applyGradients>[0]);
          return value;
        });
        tf.dispose([inputs, labels]);
        step += 1;
        if (step % 20 === 0 || step === total) {
          const value = (await loss.data())[0]!;
          if (!Number.isFinite(value)) throw new Error(`${model.label}: the training loss became ${value} at step ${step} of ${total}; lower the learning rate (recipe lr ${recipe.lr}).`);
        }
        loss.dispose();
        onStep(step, total);
        if (checkpoint && step % checkpoint.everySteps === 0 && step < total) await save();
        await new Promise((resolve) => setImmediate(resolve)); // where a signal handler (Ctrl-C) runs
        if (checkpoint?.signal?.aborted && step < total) {
          if (step % checkpoint.everySteps !== 0) await save(); // a stop loses no step
          throw checkpoint.signal.reason ?? new Error(`${model.label}: training stopped`);
        }
      }
    }
  } finally {
    optimizer.dispose();
  }
}

/** Restores a stored state into the weights and the optimiser; null (and a warning) when there is none that fits. */
async function loadState(checkpoint: EndpointCheckpoint, weights: Record<string, tf.Variable>, optimizer: tf.MomentumOptimizer): Promise<{ step: number; epoch: number; batch: number } | null> {
  const bytes = await checkpoint.load();
  if (!bytes) return null;
  let state;
  try {
    state = await decodeEndpointState(bytes, checkpoint.key, 'the endpoint checkpoint');
  } catch (error) {
    checkpoint.onWarning?.(`${(error as Error).message}; training from the start.`);
    return null;
  }
  for (const [name, value] of Object.entries(state.weights)) {
    weights[name]?.assign(value);
    value.dispose();
  }
  // setWeights keeps the tensors it is given (as its accumulators and iteration count).
  await optimizer.setWeights(state.optimizer);
  return { step: state.step, epoch: state.epoch, batch: state.batch };
}
