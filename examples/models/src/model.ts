import type * as tf from '@tensorflow/tfjs-core';
import type { ImageSplit } from '@airbench-ts/cifar-data';
import type { PermutationSpec } from '@airbench-ts/neuron-align';
import type { RepairModel } from '@airbench-ts/repair';

// ---------------------------------------------------------------------------
// What the example needs of an architecture: repair's RepairModel (a forward
// pass over a weight map, its correction sites and BatchNorms), neuron-align's
// permutation spec (plain data), and how to train an endpoint. Each model file
// (mlp.ts, vgg.ts, resnet20.ts, airbench.ts) implements it on one screen.
// ---------------------------------------------------------------------------

/** A CPU-shortened training recipe (docs/papers.md §3.8): SGD with momentum, triangular learning rate, flip + translate. */
export interface Recipe {
  epochs: number;
  batchSize: number;
  /** Peak learning rate. */
  lr: number;
  momentum: number;
  /** Coupled (PyTorch) weight decay on the weights; none on biases and norm parameters. */
  weightDecay: number;
  /** The learning rate rises linearly from 0 over this fraction of the steps, then falls linearly to 0. */
  warmupFraction: number;
  /** Random translation by up to this many pixels (reflect padding). */
  translate: number;
}

/** How an endpoint is trained: the SGD loop with a recipe (train.ts), or the model's own training. */
export type Training =
  | {
      kind: 'recipe';
      recipe: Recipe;
      /** Seeded initial weights (every tensor of the state, BN running statistics included) and the trainable names. */
      init(seed: number): { weights: Record<string, tf.Variable>; trainable: string[] };
    }
  | {
      kind: 'own';
      /** One line for the README and the results: what the training is. */
      describe: string;
      train(seed: number, images: ImageSplit, onStep: (step: number, total: number) => void, checkpoint?: EndpointCheckpoint): Promise<Record<string, tf.Tensor>>;
    };

/**
 * Where an endpoint's training keeps its state, so that a stop costs at most `everySteps` steps: the caller
 * stores the bytes (a file, written atomically) and hands them back when the same training starts again.
 */
export interface EndpointCheckpoint {
  /** Identifies the training (model, recipe, seed, data): a stored state of another key is not used. */
  key: string;
  load(): Promise<Uint8Array | null>;
  save(bytes: Uint8Array): Promise<void>;
  everySteps: number;
  /** Told why a stored state was not used (damaged, another training's): the training then starts over. */
  onWarning?: (message: string) => void;
  /** Told that a stored state is used: the training continues after `step` of `total` steps. */
  onResume?: (step: number, total: number) => void;
  /** Once aborted (Ctrl-C), the training saves its state after the step in progress and rejects with the reason. */
  signal?: AbortSignal;
}

export interface ExampleModel extends RepairModel {
  /** What the table calls it, e.g. 'vgg11 ×0.25'. */
  label: string;
  /** Which channels can be reordered together; each group's `activation` is a name `forward`'s `at` sees. */
  spec: PermutationSpec;
  training: Training;
}
