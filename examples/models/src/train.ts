import * as tf from '@tensorflow/tfjs-core';
import { CifarLoader, type ImageSplit } from '@airbench-ts/cifar-data';
import { createFlipPolicy, type FlipMode } from '@airbench-ts/derand-flip';
import { resetBatchNorm } from '@airbench-ts/repair';
import type { ExampleModel, Recipe } from './model';

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
): Promise<Record<string, tf.Tensor>> {
  const training = model.training;
  if (training.kind === 'own') return training.train(seed, images, onStep);
  const { recipe } = training;
  const { weights, trainable } = training.init(seed);
  try {
    await sgd(model, weights, trainable, recipe, seed, images, onStep, flip);
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

async function sgd(model: ExampleModel, weights: Record<string, tf.Variable>, trainable: string[], recipe: Recipe, seed: number, images: ImageSplit, onStep: (step: number, total: number) => void, flip: FlipMode | 'none'): Promise<void> {
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
    let step = 0;
    for (let epoch = 0; step < total; epoch++) {
      for (const { inputs, labels } of loader.batches(epoch)) {
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
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  } finally {
    optimizer.dispose();
  }
}
