import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { RepairModel, WeightMap } from '../src/index';

// A small MLP for the tests, as a RepairModel: d → h → h → 10, ReLU, with an
// optional BatchNorm after each hidden layer (γ = 1, β trained... here: β = 0).
export function mlp(options: { hidden: number; batchNorm?: boolean }): RepairModel {
  const sites = ['fc1', 'fc2'].map((name) => ({ name, weight: `${name}.weight`, bias: `${name}.bias`, axis: 1 }));
  return {
    sites,
    ...(options.batchNorm ? { norms: ['fc1', 'fc2'].map((name) => ({ input: `${name}.bn`, mean: `${name}.bn.mean`, variance: `${name}.bn.var` })) } : {}),
    forward(w: WeightMap, x: tf.Tensor, { normalization, at = (_site, v) => v }) {
      let h = tf.reshape(x, [x.shape[0]!, -1]);
      for (const name of ['fc1', 'fc2']) {
        h = tf.matMul(h as tf.Tensor2D, w[`${name}.weight`] as tf.Tensor2D);
        h = tf.add(h, w[`${name}.bias`]!);
        if (w[`${name}.repairBias`]) h = tf.add(h, w[`${name}.repairBias`]!);
        h = at(name, h);
        if (options.batchNorm) {
          const input = at(`${name}.bn`, h);
          const { mean, variance } = normalization === 'batch' ? tf.moments(input, 0) : { mean: w[`${name}.bn.mean`]!, variance: w[`${name}.bn.var`]! };
          h = tf.div(tf.sub(input, mean), tf.sqrt(tf.add(variance, 1e-5)));
        }
        h = tf.relu(h);
      }
      return tf.matMul(h as tf.Tensor2D, w['head.weight'] as tf.Tensor2D);
    },
  };
}

/** Seeded init and a few epochs of SGD with momentum on the given images: the weights. */
export function trainMlp(model: RepairModel, options: { hidden: number; batchNorm?: boolean; seed: number; images: tf.Tensor2D; labels: tf.Tensor1D; epochs: number }): Record<string, tf.Variable> {
  const { hidden, seed, images, labels } = options;
  const init = (shape: number[], fanIn: number, k: number) => tf.variable(tf.randomUniform(shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn), 'float32', seed * 10 + k));
  const inputs = images.shape[1];
  const w: Record<string, tf.Variable> = {
    'fc1.weight': init([inputs, hidden], inputs, 1),
    'fc1.bias': tf.variable(tf.zeros([hidden])),
    'fc2.weight': init([hidden, hidden], hidden, 2),
    'fc2.bias': tf.variable(tf.zeros([hidden])),
    'head.weight': init([hidden, 10], hidden, 3),
  };
  if (options.batchNorm) for (const n of ['fc1', 'fc2']) Object.assign(w, { [`${n}.bn.mean`]: tf.variable(tf.zeros([hidden]), false), [`${n}.bn.var`]: tf.variable(tf.ones([hidden]), false) });
  const optimizer = tf.train.momentum(0.02, 0.9);
  const n = images.shape[0];
  const trainable = Object.entries(w).filter(([name]) => !name.includes('.bn.')).map(([, v]) => v);
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (let start = 0; start + 100 <= n; start += 100) {
      optimizer.minimize(() => {
        const x = tf.slice(images, [start, 0], [100, -1]);
        const y = tf.oneHot(tf.slice(labels, [start], [100]), 10);
        return tf.losses.softmaxCrossEntropy(y, model.forward(w, x, { normalization: 'batch' })) as tf.Scalar;
      }, false, trainable);
    }
  }
  optimizer.dispose();
  return w;
}

export function score(model: RepairModel, w: WeightMap, images: tf.Tensor2D, labels: tf.Tensor1D): { accuracy: number; loss: number } {
  return tf.tidy(() => {
    const logits = model.forward(w, images, { normalization: 'running' });
    const accuracy = tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), tf.cast(labels, 'int32')), 'float32')).dataSync()[0]!;
    const loss = tf.losses.softmaxCrossEntropy(tf.oneHot(tf.cast(labels, 'int32'), 10), logits).dataSync()[0]!;
    return { accuracy, loss };
  });
}
