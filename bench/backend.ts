// Benchmark: the chosen TensorFlow.js backend on a 1024×1024 matmul and on the
// forward and both backward passes of every airbench94 conv layer at batch 256
// (bench/airbench94-conv-shapes.json), in GFLOP/s; with --torch, the same shapes
// in PyTorch on the same machine, and the ratio. Printed and written, never asserted.
//
//   npm run bench:backend -- [--backend B] [--repeats N] [--torch] [--python P] [--json]
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backendOption, selectBackend } from '@airbench-ts-example/backend';
import { integer, option } from '@airbench-ts-example/cli';
import { benchCommand, parseBench } from './args';

const here = dirname(fileURLToPath(import.meta.url));
const values = parseBench<{ backend?: string; repeats: number; torch?: boolean; python: string }>(
  benchCommand('bench:backend', "GFLOP/s of a 1024×1024 matmul and of airbench94's conv layers on the chosen backend; writes results/bench-backend.json.")
    .addOption(backendOption())
    .addOption(option('--repeats <n>', 'timed repetitions per kernel', integer(1, 100), 5))
    .addOption(option('--torch', 'also run bench/conv_torch.py and report the ratio'))
    .addOption(option('--python <path>', 'python with torch for --torch ($AIRBENCH_TORCH_PYTHON, else python3)', undefined, process.env.AIRBENCH_TORCH_PYTHON ?? 'python3')),
);
const { repeats } = values;

interface LayerResult {
  name: string;
  forward: number;
  backwardInput: number;
  backwardFilter: number;
}

const spec = JSON.parse(readFileSync(join(here, 'airbench94-conv-shapes.json'), 'utf8')) as {
  batch: number;
  layers: { name: string; height: number; width: number; in: number; out: number; kernel: number; pad: 'same' | 'valid' }[];
};

/** Seconds per call, after two warm-up calls; each result is read back so the work is done. */
function timed(run: () => tf.Tensor, count: number): number {
  for (let i = 0; i < 2; i++) run().dispose();
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const out = run();
    out.dataSync();
    out.dispose();
  }
  return (performance.now() - start) / 1000 / count;
}

const info = await selectBackend({ ...(values.backend ? { backend: values.backend } : {}) });
const engine = tf.engine();

const a = tf.randomNormal([1024, 1024], 0, 1, 'float32', 1);
const b = tf.randomNormal([1024, 1024], 0, 1, 'float32', 2);
const matmul = (2 * 1024 ** 3) / timed(() => tf.matMul(a, b), repeats * 4) / 1e9;
tf.dispose([a, b]);

const layers: LayerResult[] = [];
for (const layer of spec.layers) {
  const { kernel: k, pad } = layer;
  const x = tf.randomNormal<tf.Rank.R4>([spec.batch, layer.height, layer.width, layer.in], 0, 1, 'float32', 3);
  const w = tf.randomNormal<tf.Rank.R4>([k, k, layer.in, layer.out], 0, 1, 'float32', 4);
  const y = tf.conv2d(x, w, 1, pad);
  const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 5);
  const flops = 2 * spec.batch * y.shape[1] * y.shape[2] * layer.out * layer.in * k * k;
  const attrs = { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [1, 1] };
  // The kernels tfjs's conv2d gradient runs, called directly so each is timed alone.
  const forward = timed(() => tf.conv2d(x, w, 1, pad), repeats);
  const backwardInput = timed(() => engine.runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: x.shape }), repeats);
  const backwardFilter = timed(() => engine.runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: w.shape }), repeats);
  layers.push({ name: layer.name, forward: flops / forward / 1e9, backwardInput: flops / backwardInput / 1e9, backwardFilter: flops / backwardFilter / 1e9 });
  tf.dispose([x, w, y, dy]);
}

/** Total conv throughput: all FLOPs of forward + both backward passes over their total time. */
function convTotal(results: LayerResult[]): number {
  let flops = 0;
  let seconds = 0;
  for (const [i, layer] of spec.layers.entries()) {
    const r = results[i]!;
    const outH = layer.pad === 'same' ? layer.height : layer.height - layer.kernel + 1;
    const outW = layer.pad === 'same' ? layer.width : layer.width - layer.kernel + 1;
    const f = 2 * spec.batch * outH * outW * layer.out * layer.in * layer.kernel ** 2;
    flops += 3 * f;
    seconds += f / r.forward + f / r.backwardInput + f / r.backwardFilter;
  }
  return flops / seconds;
}

const result: Record<string, unknown> = {
  backend: info.name,
  tensorflowVersion: info.tensorflowVersion,
  batch: spec.batch,
  matmulGflops: round(matmul),
  convGflops: round(convTotal(layers)),
  layers: layers.map((l) => ({ ...l, forward: round(l.forward), backwardInput: round(l.backwardInput), backwardFilter: round(l.backwardFilter) })),
};

if (values.torch) {
  const torch = spawnSync(values.python, [join(here, 'conv_torch.py'), '--repeats', String(repeats)], { encoding: 'utf8' });
  if (torch.status !== 0) {
    console.error(`bench:backend: ${values.python} bench/conv_torch.py failed: ${torch.stderr.trim().split('\n').pop()}`);
    process.exit(1);
  }
  const t = JSON.parse(torch.stdout) as { torch: string; threads: number; matmul: number; layers: LayerResult[] };
  result.torch = {
    version: t.torch,
    threads: t.threads,
    matmulGflops: round(t.matmul),
    convGflops: round(convTotal(t.layers)),
    layers: t.layers.map((l) => ({ ...l, forward: round(l.forward), backwardInput: round(l.backwardInput), backwardFilter: round(l.backwardFilter) })),
  };
  result.convRatioVsTorch = round(convTotal(layers) / convTotal(t.layers), 2);
}

const resultsDir = join(here, '..', 'results');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, 'bench-backend.json'), `${JSON.stringify(result, null, 2)}\n`);

if (values.json) console.log(JSON.stringify(result));
else {
  const torchLayers = (result.torch as { layers: LayerResult[] } | undefined)?.layers;
  console.log(`GFLOP/s on ${info.name}${info.tensorflowVersion ? ` (TensorFlow ${info.tensorflowVersion})` : ''}, batch ${spec.batch}${torchLayers ? ', PyTorch in brackets' : ''}`);
  console.log(`${'layer'.padEnd(24)}${'forward'.padStart(16)}${'backward input'.padStart(18)}${'backward filter'.padStart(18)}`);
  const cell = (v: number, t?: number) => `${v.toFixed(0)}${t !== undefined ? ` [${t.toFixed(0)}]` : ''}`;
  for (const [i, l] of layers.entries()) {
    const t = torchLayers?.[i];
    console.log(
      `${l.name.padEnd(24)}${cell(l.forward, t?.forward).padStart(16)}${cell(l.backwardInput, t?.backwardInput).padStart(18)}${cell(l.backwardFilter, t?.backwardFilter).padStart(18)}`,
    );
  }
  console.log(`all conv passes: ${result.convGflops} GFLOP/s${torchLayers ? ` vs PyTorch ${(result.torch as { convGflops: number }).convGflops} (ratio ${result.convRatioVsTorch})` : ''}`);
  console.log(`matmul 1024×1024: ${result.matmulGflops} GFLOP/s${torchLayers ? ` vs PyTorch ${(result.torch as { matmulGflops: number }).matmulGflops}` : ''}`);
}

function round(value: number, digits = 1): number {
  return Number(value.toFixed(digits));
}
