// Benchmark: airbench94 training throughput (images/s at batch 1024, real CIFAR-10 batches from
// the augmenting loader) and TTA-2 evaluation throughput on the chosen backend, and peak memory;
// with --torch, our PyTorch version (bench/airbench_torch.py) on the same machine in the same run, in
// PyTorch's three settings: fp32 NCHW (its default), fp32 channels_last, and bf16 autocast with
// channels_last (its fastest documented CPU setting). Install the PyPI PyTorch this compares against
// with `npm run bench:torch-venv` (a bench-only virtualenv, .venv-bench/, ~5 GB). Not a test.
//
//   npm run bench:airbench -- [--precision fp32|bf16] [--steps N] [--eval-images N] [--eval-batch N] [--torch] [--python P] [--backend B] [--json]
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CifarLoader, loadCifar10, normalizeImages } from '@airbench-ts/cifar-data';
import { CONFIGS, PRECISIONS, disposeModel, evaluate, makeConfig, train, type Precision } from '@airbench-ts/airbench-net';
import { backendOption, emulatedBf16Reason, selectBackend } from '@airbench-ts-example/backend';
import { airbenchLoader } from '@airbench-ts-example/harness';
import { integer, listOf, oneOf, option, RefusedValue } from '@airbench-ts-example/cli';
import { benchCommand, parseBench } from './args';

const here = dirname(fileURLToPath(import.meta.url));
const BENCH_VENV_PYTHON = join(here, '..', '.venv-bench', 'bin', 'python');
const TORCH_SETTINGS = ['fp32-nchw', 'fp32-channels-last', 'bf16-channels-last'] as const;
type TorchSetting = (typeof TORCH_SETTINGS)[number];
const values = parseBench<{ steps: number; evalImages: number; evalBatch: number; precision: Precision; torch?: boolean; torchSettings: TorchSetting[]; python: string; backend?: string }>(
  benchCommand('bench:airbench', "airbench94's training and TTA-evaluation throughput and peak memory; with --torch, PyPI PyTorch in the same run.")
    .addOption(option('--steps <n>', 'timed training steps (one epoch of CIFAR-10 at most)', integer(1, 47), 8))
    .addOption(option('--eval-images <n>', 'test images for the evaluation timing: 2000, 4000, ... 10000', evalImageCount, 4000))
    .addOption(option('--eval-batch <n>', 'evaluation batch size, at most --eval-images', integer(1, 10_000), 2000))
    .addOption(option(`--precision <${PRECISIONS.join('|')}>`, 'arithmetic of the convolutions', oneOf(PRECISIONS), 'fp32' as Precision))
    .addOption(option('--torch', 'also time our PyTorch version, in its three settings'))
    // e.g. fp32 only under ONEDNN_MAX_CPU_ISA=AVX2, where PyTorch's bf16 is emulated and takes many minutes.
    .addOption(option(`--torch-settings <list>`, `which of PyTorch's settings --torch times, comma-separated: ${TORCH_SETTINGS.join(', ')}`, listOf(oneOf(TORCH_SETTINGS), `a comma-separated list of ${TORCH_SETTINGS.join(', ')}`), [...TORCH_SETTINGS], 'all three'))
    .addOption(option('--python <path>', 'the Python with PyTorch ($AIRBENCH_TORCH_PYTHON, else .venv-bench/, else python3)', undefined, process.env.AIRBENCH_TORCH_PYTHON ?? (existsSync(BENCH_VENV_PYTHON) ? BENCH_VENV_PYTHON : 'python3')))
    .addOption(backendOption()),
);
const { steps, evalImages, precision } = values;
if (values.evalBatch > evalImages) {
  console.error(`bench:airbench: --eval-batch must be at most --eval-images (${evalImages}), not '${values.evalBatch}'.`);
  process.exit(2);
}
const evalBatch = values.evalBatch;

function evalImageCount(value: string): number {
  const n = integer(2000, 10_000)(value);
  if (n % 2000 !== 0) throw new RefusedValue('must be 2000, 4000, ... 10000');
  return n;
}

// PyTorch first, while this process is small: a child inherits its parent's peak RSS across fork+exec.
// Each setting in its own process, so each peak RSS is its own.
const torch = values.torch
  ? values.torchSettings.map((setting) => {
      const run = spawnSync(values.python, [join(here, 'airbench_torch.py'), 'throughput', '--steps', String(steps), '--eval-images', String(evalImages), '--setting', setting], { encoding: 'utf8' });
      if (run.status !== 0) {
        console.error(`bench:airbench: ${values.python} bench/airbench_torch.py (${setting}) failed: ${run.stderr.trim().split('\n').pop()}\nInstall PyTorch from PyPI for the benchmark with: npm run bench:torch-venv`);
        process.exit(1);
      }
      const t = JSON.parse(run.stdout) as { torch: string; threads: number; trainImagesPerSec: number; evalImagesPerSec: number; peakRssMB: number };
      const round = (v: number) => Math.round(v * 10) / 10;
      return { setting, version: t.torch, threads: t.threads, trainImagesPerSec: round(t.trainImagesPerSec), evalImagesPerSec: round(t.evalImagesPerSec), peakRssMB: Math.round(t.peakRssMB) };
    })
  : null;

const backend = await selectBackend({ ...(values.backend ? { backend: values.backend } : {}) });
const emulated = precision === 'bf16' && backend.choice === 'node' ? emulatedBf16Reason('node', backend.cpu) : null;
if (emulated) process.stderr.write(`warning: bf16: ${emulated}\n`);
const data = await loadCifar10({ ...(values.dataDir ? { dataDir: values.dataDir } : {}), progress: false });

// Training: one epoch of steps+1 batches; the first step (graph set-up, allocation) is not timed.
const config = makeConfig(CONFIGS.airbench94, { epochs: 1, precision });
const loader = airbenchLoader(data.train, config, 0, { subset: config.batchSize * (steps + 1) });
const whitening = normalizeImages(data.train, { count: 5000 });
const stamps: number[] = [];
const { model } = await train(config, { train: loader, whitening }, { onStep: () => stamps.push(performance.now()) });
const end = performance.now();
const trainImagesPerSec = (steps * 1024) / ((end - stamps[1]!) / 1000);
whitening.dispose();

const test = new CifarLoader(data.test, { batchSize: evalBatch, subset: evalImages });
await evaluate(model, new CifarLoader(data.test, { batchSize: 100, subset: 100 }), { tta: 2 }); // warm-up
const evalStart = performance.now();
await evaluate(model, test, { tta: 2 });
const evalImagesPerSec = evalImages / ((performance.now() - evalStart) / 1000);
disposeModel(model);

const result: Record<string, unknown> = {
  backend: backend.name,
  tensorflowVersion: backend.tensorflowVersion,
  // What decides the speed on a CPU: its best matrix ISA, and whether TensorFlow runs oneDNN (and capped at what).
  cpu: backend.cpu,
  onednn: backend.onednn,
  // Our GELU op (examples/backend/native), or why not.
  nativeOps: backend.nativeOps,
  precision,
  fpmathMode: process.env.TF_SET_ONEDNN_FPMATH_MODE ?? null,
  batchSize: 1024,
  timedSteps: steps,
  trainImagesPerSec: Math.round(trainImagesPerSec * 10) / 10,
  evalBatch,
  evalImagesPerSec: Math.round(evalImagesPerSec * 10) / 10,
  peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
};
if (torch) {
  result.torch = torch.map((t) => ({
    ...t,
    trainRatio: Math.round((trainImagesPerSec / t.trainImagesPerSec) * 100) / 100,
    evalRatio: Math.round((evalImagesPerSec / t.evalImagesPerSec) * 100) / 100,
  }));
}
mkdirSync(join(here, '..', 'results'), { recursive: true });
writeFileSync(join(here, '..', 'results', `bench-airbench-${precision}.json`), `${JSON.stringify(result, null, 2)}\n`);
if (values.json) console.log(JSON.stringify(result));
else {
  const torch = (result.torch ?? []) as { setting: string; version: string; trainImagesPerSec: number; evalImagesPerSec: number; peakRssMB: number; trainRatio: number; evalRatio: number }[];
  const onednn = backend.onednn ? `; oneDNN ${backend.onednn.enabled ? 'on' : 'off'}${backend.onednn.cap ? `, capped at ${backend.onednn.cap}` : ''}` : '';
  const ops = backend.nativeOps ? `; native ops ${backend.nativeOps.ops.length ? 'on' : 'off'}` : '';
  console.log(`airbench94, batch 1024, ${precision}, on ${backend.name}${backend.tensorflowVersion ? ` (TensorFlow ${backend.tensorflowVersion}${onednn}${ops}; CPU ${backend.cpu})` : ` (CPU ${backend.cpu})`}:`);
  console.log(`  ${'who'.padEnd(36)}${'train img/s'.padStart(12)}${'TTA-2 img/s'.padStart(12)}${'peak RSS MB'.padStart(12)}`);
  console.log(`  ${`ours (${precision})`.padEnd(36)}${String(result.trainImagesPerSec).padStart(12)}${String(result.evalImagesPerSec).padStart(12)}${String(result.peakRssMB).padStart(12)}`);
  for (const t of torch) {
    console.log(`  ${`PyTorch ${t.version} ${t.setting}`.padEnd(36)}${String(t.trainImagesPerSec).padStart(12)}${String(t.evalImagesPerSec).padStart(12)}${String(t.peakRssMB).padStart(12)}   ours/theirs: train ${t.trainRatio}, eval ${t.evalRatio}`);
  }
}
