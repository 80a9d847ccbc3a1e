// Correctness against PyTorch (dev tool, not CI): start airbench94 in TypeScript and in our own
// PyTorch version (bench/airbench_torch.py) from identical weights and an identical batch of real
// CIFAR-10 images, and compare the forward logits, the loss, every gradient, the BatchNorm running
// statistics, and all weights after 10 optimiser steps (with two lookahead updates, the final
// lookahead copy, and the whitening bias freezing after step 3), each against PyTorch in float32
// and in float64 (the reference; see the note where the verdict is computed).
//
//   npm run bench:compare-torch -- [--python /usr/bin/python3] [--images 256] [--backend B] [--json]
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CifarLoader, loadCifar10, normalizeImages } from '@airbench-ts/cifar-data';
import { disposeModel, forward, initWhitening, makeConfig, makeNet, smoothedCrossEntropySum, train, type EpochSource } from '@airbench-ts/airbench-net';
import { backendOption, selectBackend } from '@airbench-ts-example/backend';
import { integer, option } from '@airbench-ts-example/cli';
import { benchCommand, parseBench } from './args';

const here = dirname(fileURLToPath(import.meta.url));
const values = parseBench<{ python: string; images: number; backend?: string }>(
  benchCommand('bench:compare-torch', 'The TypeScript airbench94 against our PyTorch version: logits, loss, gradients, weights after 10 steps.')
    .addOption(option('--python <path>', 'the Python with PyTorch ($AIRBENCH_TORCH_PYTHON, else python3)', undefined, process.env.AIRBENCH_TORCH_PYTHON ?? 'python3'))
    .addOption(option('--images <n>', 'images per step', integer(2, 10_000), 256))
    .addOption(backendOption()),
);
const batchSize = values.images;

const STEPS = 10;
const SEED = 3;
const TOLERANCE = 1e-4;
const out = join(here, '..', 'results', 'torch-compare');
mkdirSync(out, { recursive: true });

await selectBackend({ ...(values.backend ? { backend: values.backend } : {}) });
const data = await loadCifar10({ ...(values.dataDir ? { dataDir: values.dataDir } : {}), progress: false });
// One batch per "epoch", so T = STEPS and the whitening bias trains in steps 0–2 only.
// The config's batch size is the batch's, so both sides derive the same decay per step.
const config = makeConfig('airbench94', { epochs: STEPS, batchSize, whiteningImages: 1000 });
const first = <T>(loader: CifarLoader) => loader.batches(0).next().value! as unknown as T;
const whitening = normalizeImages(data.train, { count: 1000 });
const batch = first<{ inputs: tf.Tensor4D; labels: tf.Tensor1D }>(
  new CifarLoader(data.train, { batchSize, shuffle: true, translate: 2, flip: (i, e) => (i + e) % 2 === 1, seed: 1 }),
);

const arrays: Record<string, tf.Tensor> = {};
const model = makeNet(config, SEED);
arrays['preWhitening.whiten.weight'] = tf.clone(model.params['whiten.weight']!);
initWhitening(model, whitening);
for (const [name, v] of Object.entries({ ...model.params, ...model.buffers })) arrays[`init.${name}`] = tf.clone(v);
arrays['batch.inputs'] = batch.inputs;
arrays['batch.labels'] = tf.cast(batch.labels, 'float32');
writeArrays(out, 'state', arrays, { config, steps: STEPS });

// 1. Forward (training mode) and gradients, on the initial weights.
const mine: Record<string, tf.Tensor> = {};
const names = Object.keys(model.params).filter((n) => n !== 'whiten.weight');
const { value, grads } = tf.variableGrads(() => {
  const { logits } = forward(model, batch.inputs, { training: true });
  mine.logits = tf.keep(logits);
  return smoothedCrossEntropySum(logits, batch.labels, config.labelSmoothing);
}, names.map((n) => model.params[n]!));
mine.loss = value;
names.forEach((n) => (mine[`grad.${n}`] = grads[model.params[n]!.name]!));
for (const [name, v] of Object.entries(model.buffers)) mine[`afterForward.${name}`] = tf.clone(v);

// 2. STEPS training steps through the real train().
const oneBatch: EpochSource = {
  batchSize,
  dropLast: true,
  length: 1,
  *batches() {
    yield { inputs: tf.clone(batch.inputs), labels: tf.clone(batch.labels) };
  },
};
const trained = await train(config, { train: oneBatch, whitening: whitening }, { seed: SEED });
for (const [name, v] of Object.entries({ ...trained.model.params, ...trained.model.buffers })) mine[`final.${name}`] = tf.clone(v);

writeArrays(out, 'typescript', mine, { backend: tf.getBackend() });
const python = spawnSync(values.python, [join(here, 'airbench_torch.py'), 'compare', out], { encoding: 'utf8' });
if (python.status !== 0) {
  console.error(`compare-torch: ${values.python} bench/airbench_torch.py failed:\n${python.stderr}`);
  process.exit(1);
}
const { manifest, arrays: theirs } = readArrays(out, 'torch');

// Norm-wise relative error ||a − b|| / ||b||, of each float32 result against PyTorch's float64 run,
// and TypeScript against PyTorch float32 directly. A tensor passes when TypeScript is within 1e-4 of
// float64, or no further from it than twice PyTorch's own float32 result is (float32's limit there).
const rows = Object.entries(mine).map(([name, tensor]) => {
  const [t32, t64] = [theirs[name], theirs[`f64.${name}`]];
  if (!t32 || !t64) throw new Error(`compare-torch: PyTorch wrote no '${name}'`);
  const ours = tensor.dataSync() as Float32Array;
  const vsTorch = relativeError(ours, t32);
  const oursVs64 = relativeError(ours, t64);
  const torchVs64 = relativeError(t32, t64);
  return { name, vsTorch, oursVs64, torchVs64, pass: oursVs64 <= Math.max(TOLERANCE, 2 * torchVs64) };
});
const groups = ['logits', 'loss', 'grad.', 'afterForward.', 'final.'] as const;
const labels: Record<(typeof groups)[number], string> = {
  logits: 'forward logits',
  loss: 'loss',
  'grad.': 'gradients',
  'afterForward.': 'BN running stats',
  'final.': `weights after ${STEPS} steps`,
};
const table = groups.map((prefix) => {
  const members = rows.filter((r) => r.name.startsWith(prefix));
  const max = (key: 'vsTorch' | 'oursVs64' | 'torchVs64') => Math.max(...members.map((r) => r[key]));
  return { quantity: labels[prefix], tensors: members.length, vsTorch32: max('vsTorch'), oursVsTorch64: max('oursVs64'), torch32VsTorch64: max('torchVs64'), pass: members.every((r) => r.pass) };
});
const summary = { torch: manifest.torch as string, backend: tf.getBackend(), images: batchSize, steps: STEPS, tolerance: TOLERANCE, table, pass: table.every((r) => r.pass) };
writeFileSync(join(out, 'summary.json'), `${JSON.stringify({ ...summary, rows }, null, 2)}\n`);
if (values.json) console.log(JSON.stringify(summary));
else {
  console.log(`TypeScript (${summary.backend}, float32) vs our PyTorch ${summary.torch} airbench94, ${batchSize} real images; max over tensors of ||a − b|| / ||b||:`);
  console.log(`${'quantity'.padEnd(24)}${'TS vs torch32'.padStart(15)}${'TS vs torch64'.padStart(15)}${'torch32 vs 64'.padStart(15)}  verdict`);
  for (const r of table) {
    console.log(`${r.quantity.padEnd(24)}${r.vsTorch32.toExponential(2).padStart(15)}${r.oursVsTorch64.toExponential(2).padStart(15)}${r.torch32VsTorch64.toExponential(2).padStart(15)}  ${r.pass ? 'pass' : 'FAIL'}`);
  }
  console.log(summary.pass ? 'PASS' : 'FAIL');
}
disposeModel(model);
disposeModel(trained.model);
process.exitCode = summary.pass ? 0 : 1;

function relativeError(actual: Float32Array, expected: Float32Array): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    diff += (actual[i]! - expected[i]!) ** 2;
    norm += expected[i]! ** 2;
  }
  return norm === 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
}

function writeArrays(dir: string, stem: string, tensors: Record<string, tf.Tensor>, extra: object): void {
  let offset = 0;
  const entries = Object.entries(tensors).map(([name, t]) => {
    const entry = { name, shape: t.shape, offset };
    offset += t.size;
    return entry;
  });
  const blob = new Float32Array(offset);
  Object.values(tensors).forEach((t, i) => blob.set(t.dataSync() as Float32Array, entries[i]!.offset));
  writeFileSync(join(dir, `${stem}.bin`), new Uint8Array(blob.buffer));
  writeFileSync(join(dir, `${stem}.json`), JSON.stringify({ ...extra, arrays: entries }));
}

function readArrays(dir: string, stem: string): { manifest: Record<string, unknown>; arrays: Record<string, Float32Array> } {
  const manifest = JSON.parse(readFileSync(join(dir, `${stem}.json`), 'utf8')) as { arrays: { name: string; shape: number[]; offset: number }[] };
  const bytes = readFileSync(join(dir, `${stem}.bin`));
  const blob = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const arrays: Record<string, Float32Array> = {};
  for (const { name, shape, offset } of manifest.arrays) arrays[name] = blob.subarray(offset, offset + shape.reduce((a, b) => a * b, 1));
  return { manifest, arrays };
}
