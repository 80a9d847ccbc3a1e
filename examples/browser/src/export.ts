// What `build` puts beside the page: a CIFAR-10 subset as raw bytes the page
// fetches (data/), and optionally a model trained in Node with its accuracy in
// Node on the very same test images (model/), so the page can show both.
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CifarLoader, loadCifar10, type ImageSplit } from '@airbench-ts/cifar-data';
import { disposeModel, evaluate } from '@airbench-ts/airbench-net';
import { loadModel } from '@airbench-ts/airbench-net/node';
import { DATA_FORMAT, type DataManifest } from './page/data';
import type { NodeFigure } from './page/classify';

const first = (split: ImageSplit, count: number): ImageSplit => ({ images: split.images.subarray(0, count * 3072), labels: split.labels.subarray(0, count), length: count });

/** Writes the first `trainImages` / `testImages` of CIFAR-10 into `dir/data/`; returns the test subset for the model's Node figure. */
export async function exportData(dir: string, options: { trainImages: number; testImages: number; dataDir?: string; progress: boolean }): Promise<{ manifest: DataManifest; test: ImageSplit }> {
  const cifar = await loadCifar10({ progress: options.progress, ...(options.dataDir ? { dataDir: options.dataDir } : {}) });
  const [train, test] = [first(cifar.train, Math.min(options.trainImages, cifar.train.length)), first(cifar.test, Math.min(options.testImages, cifar.test.length))];
  const out = join(dir, 'data');
  await mkdir(out, { recursive: true });
  const manifest: DataManifest = {
    format: DATA_FORMAT,
    classes: [...cifar.classes],
    train: { count: train.length, images: 'train-images.bin', labels: 'train-labels.bin' },
    test: { count: test.length, images: 'test-images.bin', labels: 'test-labels.bin' },
    source: cifar.location.source,
  };
  await Promise.all([
    writeFile(join(out, manifest.train.images), train.images),
    writeFile(join(out, manifest.train.labels), train.labels),
    writeFile(join(out, manifest.test.images), test.images),
    writeFile(join(out, manifest.test.labels), test.labels),
  ]);
  await writeFile(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return { manifest, test };
}

/**
 * Copies a `saveModel` directory into `dir/model/` and measures it in Node on
 * `test` with the model's own TTA, on the current tfjs backend (the caller's).
 */
export async function exportModel(modelDir: string, dir: string, test: ImageSplit, backend: string): Promise<NodeFigure> {
  const model = await loadModel(modelDir); // refuses a directory that is not a saved model, naming it
  let figure: NodeFigure;
  try {
    const evaluation = await evaluate(model, new CifarLoader(test, { batchSize: 500 }), { tta: model.config.tta });
    const { name, widths, epochs } = model.config;
    figure = { accuracy: evaluation.accuracy, images: evaluation.count, tta: model.config.tta, backend, model: `${name} ${widths.join('/')}, ${epochs} epochs (${basename(resolve(modelDir))})` };
  } finally {
    disposeModel(model);
  }
  const out = join(dir, 'model');
  await mkdir(out, { recursive: true });
  const { weightsFile } = JSON.parse(await readFile(join(modelDir, 'model.json'), 'utf8')) as { weightsFile: string };
  await copyFile(join(modelDir, 'model.json'), join(out, 'model.json'));
  await copyFile(join(modelDir, weightsFile), join(out, weightsFile));
  await writeFile(join(out, 'node.json'), `${JSON.stringify(figure, null, 2)}\n`);
  if (tf.memory().numTensors !== 0) throw new Error(`exportModel left ${tf.memory().numTensors} tensors allocated`);
  return figure;
}
