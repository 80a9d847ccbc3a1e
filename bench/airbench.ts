// Benchmark: airbench94 training throughput (images/s at batch 1024, real CIFAR-10 batches from
// the augmenting loader) and TTA-2 evaluation throughput on the chosen backend, and peak memory;
// with --torch, our PyTorch version (bench/airbench_torch.py) on the same machine. Not a test.
//
//   npm run bench:airbench -- [--steps N] [--eval-images N] [--eval-batch N] [--torch] [--python P] [--backend B] [--json]
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CifarLoader, loadCifar10, normalizeImages } from '@airbench-ts/cifar-data';
import { createFlipPolicy } from '@airbench-ts/derand-flip';
import { CONFIGS, disposeModel, evaluate, makeConfig, train } from '@airbench-ts/airbench-net';
import { parseBackendChoice, selectBackend } from '@airbench-ts-example/backend';
import { integerFlag, parseBenchArgs } from './args';

const here = dirname(fileURLToPath(import.meta.url));
const values = parseBenchArgs(
  'bench:airbench',
  'Usage: npm run bench:airbench -- [--steps N] [--eval-images N (multiple of 2000)] [--eval-batch N] [--torch] [--python P] [--backend B] [--data-dir D] [--json]',
  {
    steps: { type: 'string', default: '8' },
    'eval-images': { type: 'string', default: '4000' },
    'eval-batch': { type: 'string', default: '2000' },
    torch: { type: 'boolean', default: false },
    python: { type: 'string', default: process.env.AIRBENCH_TORCH_PYTHON ?? 'python3' },
    backend: { type: 'string' },
  },
);
const steps = integerFlag('bench:airbench', 'steps', values.steps, 1, 47);
const evalImages = integerFlag('bench:airbench', 'eval-images', values['eval-images'], 2000, 10_000);
if (evalImages % 2000 !== 0) {
  console.error(`bench:airbench: --eval-images must be 2000, 4000, ... 10000, not '${values['eval-images']}'`);
  process.exit(2);
}
const evalBatch = integerFlag('bench:airbench', 'eval-batch', values['eval-batch'], 1, evalImages);
parseBackendChoice(values.backend ?? process.env.AIRBENCH_BACKEND);

const backend = await selectBackend({ ...(values.backend ? { backend: values.backend } : {}) });
const data = await loadCifar10({ ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}), progress: false });

// Training: one epoch of steps+1 batches; the first step (graph set-up, allocation) is not timed.
const config = makeConfig(CONFIGS.airbench94, { epochs: 1 });
const loader = new CifarLoader(data.train, {
  batchSize: 1024,
  shuffle: true,
  dropLast: true,
  translate: 2,
  flip: createFlipPolicy({ seed: 0 }),
  subset: 1024 * (steps + 1),
});
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
  batchSize: 1024,
  timedSteps: steps,
  trainImagesPerSec: Math.round(trainImagesPerSec * 10) / 10,
  evalBatch,
  evalImagesPerSec: Math.round(evalImagesPerSec * 10) / 10,
  peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
};
if (values.torch) {
  const run = spawnSync(values.python, [join(here, 'airbench_torch.py'), 'throughput', '--steps', String(steps), '--eval-images', String(evalImages)], { encoding: 'utf8' });
  if (run.status !== 0) {
    console.error(`bench:airbench: ${values.python} bench/airbench_torch.py failed: ${run.stderr.trim().split('\n').pop()}`);
    process.exit(1);
  }
  const torch = JSON.parse(run.stdout) as { torch: string; threads: number; trainImagesPerSec: number; evalImagesPerSec: number; peakRssMB: number };
  result.torch = { version: torch.torch, threads: torch.threads, trainImagesPerSec: Math.round(torch.trainImagesPerSec * 10) / 10, evalImagesPerSec: Math.round(torch.evalImagesPerSec * 10) / 10, peakRssMB: Math.round(torch.peakRssMB) };
  result.trainRatioVsTorch = Math.round((trainImagesPerSec / torch.trainImagesPerSec) * 100) / 100;
  result.evalRatioVsTorch = Math.round((evalImagesPerSec / torch.evalImagesPerSec) * 100) / 100;
}
mkdirSync(join(here, '..', 'results'), { recursive: true });
writeFileSync(join(here, '..', 'results', 'bench-airbench.json'), `${JSON.stringify(result, null, 2)}\n`);
if (values.json) console.log(JSON.stringify(result));
else {
  const t = result.torch as { trainImagesPerSec: number; evalImagesPerSec: number } | undefined;
  console.log(`airbench94 on ${backend.name}${backend.tensorflowVersion ? ` (TensorFlow ${backend.tensorflowVersion})` : ''}:`);
  console.log(`  training, batch 1024   ${result.trainImagesPerSec} images/s${t ? `   PyTorch ${t.trainImagesPerSec} (ratio ${result.trainRatioVsTorch})` : ''}`);
  console.log(`  TTA-2 evaluation       ${result.evalImagesPerSec} images/s${t ? `   PyTorch ${t.evalImagesPerSec} (ratio ${result.evalRatioVsTorch})` : ''}`);
  console.log(`  peak RSS               ${result.peakRssMB} MB`);
}
