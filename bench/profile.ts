// Profile: one airbench94 training step (forward, loss, gradients, optimiser) at batch 1024 on real
// CIFAR-10 images, kernel by kernel (tf.profile), after warm-up steps; prints the time per kernel
// name, the number of kernel calls per step and the peak memory. Not a test.
//
//   npm run bench:profile -- [--batch N] [--warmup N] [--precision fp32|bf16] [--backend B] [--json]
import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CifarLoader, loadCifar10, normalizeImages } from '@airbench-ts/cifar-data';
import { forward, initWhitening, makeConfig, makeNet, NesterovSgd, parameterGroup, smoothedCrossEntropySum, disposeModel, PRECISIONS, type Precision } from '@airbench-ts/airbench-net';
import { backendOption, selectBackend } from '@airbench-ts-example/backend';
import { integer, oneOf, option } from '@airbench-ts-example/cli';
import { benchCommand, parseBench } from './args';

const here = dirname(fileURLToPath(import.meta.url));
const values = parseBench<{ batch: number; warmup: number; precision: Precision; backend?: string }>(
  benchCommand('bench:profile', 'One airbench94 training step kernel by kernel (tf.profile): ms per kernel, kernel calls per step, peak RSS.')
    .addOption(option('--batch <n>', 'images per step', integer(2, 4096), 1024))
    .addOption(option('--warmup <n>', 'untimed steps first', integer(0, 20), 2))
    .addOption(option(`--precision <${PRECISIONS.join('|')}>`, 'arithmetic of the convolutions', oneOf(PRECISIONS), 'fp32' as Precision))
    .addOption(backendOption()),
);
const { batch: batchSize, warmup } = values;

const backend = await selectBackend({ ...(values.backend ? { backend: values.backend } : {}) });
const data = await loadCifar10({ ...(values.dataDir ? { dataDir: values.dataDir } : {}), progress: false });
const config = makeConfig('airbench94', { batchSize, precision: values.precision });
const loader = new CifarLoader(data.train, { batchSize, shuffle: true, dropLast: true, translate: 2, subset: batchSize * (warmup + 1) });
const whitening = normalizeImages(data.train, { count: 5000 });
const model = makeNet(config, 0);
initWhitening(model, whitening);
whitening.dispose();
const optimizer = new NesterovSgd(config.momentum);
const names = Object.keys(model.params).filter((n) => n !== 'whiten.weight');
const variables = names.map((n) => model.params[n]!);
// The two SGD groups computed once, as train() does.
const groups = { shift: parameterGroup(config, 'norm'), other: parameterGroup(config, 'other') };
const groupOf = (name: string) => (name.includes('norm') ? groups.shift : groups.other);

// Exactly what train() does per step (without lookahead, which runs every 5th step).
function step(inputs: tf.Tensor4D, labels: tf.Tensor1D): void {
  const { value, grads } = tf.variableGrads(() => smoothedCrossEntropySum(forward(model, inputs, { training: true }).logits, labels, config.labelSmoothing), variables);
  const byName: Record<string, tf.Tensor> = {};
  names.forEach((n, i) => (byName[n] = grads[variables[i]!.name]!));
  optimizer.step(model.params, byName, groupOf, 1);
  tf.dispose([value, ...Object.values(grads)]);
}

const batches = [...loader.batches(0)];
const bytesBefore = tf.memory().numBytes;
for (const { inputs, labels } of batches.slice(0, warmup)) step(inputs, labels);
const { inputs, labels } = batches[warmup]!;
const started = performance.now();
const profile = await tf.profile(() => step(inputs, labels));
const wallMs = performance.now() - started;
tf.dispose(batches.flatMap((b) => [b.inputs, b.labels]));
disposeModel(model);
optimizer.dispose();

const byKernel = new Map<string, { calls: number; ms: number }>();
// A tf.customGrad or a conv stage (airbench-net's conv-stage.ts) shows up as one more entry named after
// its scope, around the kernels it runs: not a kernel, and its time is its kernels' (counted once, below).
const kernels = profile.kernels.filter((k) => tf.getKernel(k.name, tf.getBackend()) !== undefined);
for (const k of kernels) {
  const entry = byKernel.get(k.name) ?? { calls: 0, ms: 0 };
  entry.calls += 1;
  entry.ms += Number(k.kernelTimeMs);
  byKernel.set(k.name, entry);
}
const kernelMs = kernels.reduce((s, k) => s + Number(k.kernelTimeMs), 0);
const rows = [...byKernel.entries()].map(([kernel, e]) => ({ kernel, calls: e.calls, ms: Math.round(e.ms * 10) / 10, share: Math.round((e.ms / kernelMs) * 1000) / 10 })).sort((a, b) => b.ms - a.ms);
const result = {
  backend: backend.name,
  tensorflowVersion: backend.tensorflowVersion,
  precision: config.precision,
  fpmathMode: process.env.TF_SET_ONEDNN_FPMATH_MODE ?? null,
  batchSize,
  kernelCallsPerStep: kernels.length,
  kernelMs: Math.round(kernelMs),
  stepWallMs: Math.round(wallMs),
  imagesPerSec: Math.round((batchSize / wallMs) * 1000 * 10) / 10,
  peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  // The step's peak of live tensors above what was live before the first step (model, batches).
  stepPeakTensorMB: Math.round((profile.peakBytes - bytesBefore) / 2 ** 20),
  kernels: rows,
};
mkdirSync(join(here, '..', 'results'), { recursive: true });
writeFileSync(join(here, '..', 'results', `bench-profile-${config.precision}.json`), `${JSON.stringify(result, null, 2)}\n`);
if (values.json) console.log(JSON.stringify(result));
else {
  console.log(`one airbench94 step, batch ${batchSize}, ${config.precision}, on ${backend.name}: ${result.kernelCallsPerStep} kernel calls, ${result.kernelMs} ms in kernels, ${result.stepWallMs} ms wall (profiled), peak RSS ${result.peakRssMB} MB, live tensors at most ${result.stepPeakTensorMB} MB above the model`);
  console.log(`${'kernel'.padEnd(28)}${'calls'.padStart(6)}${'ms'.padStart(9)}${'share'.padStart(8)}`);
  for (const r of rows) console.log(`${r.kernel.padEnd(28)}${String(r.calls).padStart(6)}${r.ms.toFixed(1).padStart(9)}${`${r.share.toFixed(1)}%`.padStart(8)}`);
}
