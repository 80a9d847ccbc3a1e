// Benchmark: training throughput of the REPAIR example's endpoint models (examples/models: ResNet20 with BN or
// LN, VGG11) at the widths issue 25 asks for, through the example's own training loop (trainEndpoint: the
// recipe's SGD, real CIFAR-10 batches with flip + translate, batch 500), and what an endpoint of --epochs then
// costs on this machine. With --torch, the same architectures in PyPI PyTorch (bench/endpoints_torch.py, random
// inputs) in the same run, fp32 NCHW and channels_last (its fastest documented fp32 CPU setting). Not a test.
//
//   npm run bench:endpoints -- [--model resnet20|vgg11] [--norm batch|layer] [--widths 1,2,4] [--steps N] [--epochs E] [--torch] [--json]
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CifarLoader, loadCifar10 } from '@airbench-ts/cifar-data';
import { backendOption, selectBackend } from '@airbench-ts-example/backend';
import { integer, listOf, oneOf, option, positiveNumber } from '@airbench-ts-example/cli';
import { resnet20, trainEndpoint, vgg11 } from '@airbench-ts-example/models';
import { benchCommand, parseBench } from './args';

const here = dirname(fileURLToPath(import.meta.url));
const BENCH_VENV_PYTHON = join(here, '..', '.venv-bench', 'bin', 'python');
const TORCH_SETTINGS = ['fp32-nchw', 'fp32-channels-last', 'bf16-channels-last'] as const;
type TorchSetting = (typeof TORCH_SETTINGS)[number];
const BATCH = 500;

const values = parseBench<{ model: 'resnet20' | 'vgg11'; norm: 'batch' | 'layer'; widths: number[]; steps: number; epochs: number; torch?: boolean; torchSettings: TorchSetting[]; python: string; backend?: string }>(
  benchCommand('bench:endpoints', "Training throughput of the REPAIR example's endpoint models per width, and an endpoint's cost; with --torch, PyPI PyTorch in the same run.")
    .addOption(option('--model <resnet20|vgg11>', 'the architecture', oneOf(['resnet20', 'vgg11'] as const), 'resnet20' as const))
    .addOption(option('--norm <batch|layer>', "resnet20's normalisation", oneOf(['batch', 'layer'] as const), 'batch' as const))
    .addOption(option('--widths <list>', 'channel multipliers, comma-separated', listOf(positiveNumber, 'a comma-separated list of positive numbers'), [1, 2, 4], '1,2,4'))
    .addOption(option('--steps <n>', 'timed training steps per width (after two untimed ones)', integer(1, 98), 6))
    .addOption(option('--epochs <e>', 'the endpoint length the cost column is for', positiveNumber, 40))
    .addOption(option('--torch', 'also time PyTorch on the same architectures'))
    .addOption(option('--torch-settings <list>', `which PyTorch settings --torch times: ${TORCH_SETTINGS.join(', ')}`, listOf(oneOf(TORCH_SETTINGS), `a comma-separated list of ${TORCH_SETTINGS.join(', ')}`), ['fp32-nchw', 'fp32-channels-last'] as TorchSetting[], 'fp32-nchw,fp32-channels-last'))
    .addOption(option('--python <path>', 'the Python with PyTorch ($AIRBENCH_TORCH_PYTHON, else .venv-bench/, else python3)', undefined, process.env.AIRBENCH_TORCH_PYTHON ?? (existsSync(BENCH_VENV_PYTHON) ? BENCH_VENV_PYTHON : 'python3')))
    .addOption(backendOption()),
);

// PyTorch first, each setting in its own process, while this process is small (a child inherits the peak RSS).
function timeTorch(width: number) {
  return values.torchSettings.map((setting) => {
    const args = [join(here, 'endpoints_torch.py'), 'throughput', '--model', values.model, '--norm', values.norm, '--width', String(width), '--steps', String(values.steps), '--setting', setting];
    const run = spawnSync(values.python, args, { encoding: 'utf8' });
    if (run.status !== 0) {
      console.error(`bench:endpoints: ${values.python} bench/endpoints_torch.py (${setting}) failed: ${run.stderr.trim().split('\n').pop()}\nInstall PyTorch from PyPI for the benchmark with: npm run bench:torch-venv`);
      process.exit(1);
    }
    const t = JSON.parse(run.stdout) as { torch: string; threads: number; parameters: number; trainImagesPerSec: number };
    return { setting, version: t.torch, threads: t.threads, parameters: t.parameters, trainImagesPerSec: Math.round(t.trainImagesPerSec * 10) / 10 };
  });
}
const torch = values.torch ? values.widths.map(timeTorch) : null;

const backend = await selectBackend({ ...(values.backend ? { backend: values.backend } : {}) });
const data = await loadCifar10({ ...(values.dataDir ? { dataDir: values.dataDir } : {}), progress: false });
// One epoch of steps + 2 batches: the first two steps (graph set-up, allocation) are not timed.
const count = (values.steps + 2) * BATCH;
const images = { images: data.train.images.subarray(0, count * 3072), labels: data.train.labels.subarray(0, count), length: count };
// The BN reset after training needs a pass; one small batch, not timed.
const statistics = () => (function* () {
  for (const { inputs, labels } of new CifarLoader(images, { batchSize: 100, subset: 100 }).batches(0)) {
    labels.dispose();
    yield inputs;
  }
})();

const rows = [];
for (const [k, width] of values.widths.entries()) {
  const model = values.model === 'resnet20' ? resnet20({ width, norm: values.norm, epochs: 1 }) : vgg11({ width, epochs: 1 });
  const stamps: number[] = [];
  const weights = await trainEndpoint(model, 0, images, statistics, () => stamps.push(performance.now()));
  const parameters = Object.entries(weights).filter(([name]) => !name.includes('running')).reduce((n, [, t]) => n + t.size, 0);
  tf.dispose(Object.values(weights));
  const rate = (values.steps * BATCH) / ((stamps.at(-1)! - stamps[1]!) / 1000);
  const row: Record<string, unknown> = {
    model: model.label,
    width,
    parameters,
    trainImagesPerSec: Math.round(rate * 10) / 10,
    // 50,000 images an epoch.
    hoursPerEndpoint: Math.round(((values.epochs * 50_000) / rate / 3600) * 100) / 100,
  };
  if (torch) row.torch = torch[k]!.map((t) => ({ ...t, ratio: Math.round((rate / t.trainImagesPerSec) * 100) / 100 }));
  rows.push(row);
}

const result = { backend: backend.name, tensorflowVersion: backend.tensorflowVersion, cpu: backend.cpu, onednn: backend.onednn, batchSize: BATCH, timedSteps: values.steps, epochs: values.epochs, rows };
if (values.json) console.log(JSON.stringify(result));
else {
  console.log(`REPAIR endpoint models, batch ${BATCH}, fp32, on ${backend.name}${backend.tensorflowVersion ? ` (TensorFlow ${backend.tensorflowVersion})` : ''}, CPU ${backend.cpu}; h/endpoint = ${values.epochs} epochs of 50,000 images:`);
  console.log(`  ${'who'.padEnd(40)}${'params'.padStart(10)}${'train img/s'.padStart(13)}${'h/endpoint'.padStart(12)}`);
  for (const row of rows as { model: string; parameters: number; trainImagesPerSec: number; hoursPerEndpoint: number; torch?: { setting: string; version: string; parameters: number; trainImagesPerSec: number; ratio: number }[] }[]) {
    console.log(`  ${`ours ${row.model}`.padEnd(40)}${String(row.parameters).padStart(10)}${String(row.trainImagesPerSec).padStart(13)}${String(row.hoursPerEndpoint).padStart(12)}`);
    for (const t of row.torch ?? []) {
      const hours = Math.round(((values.epochs * 50_000) / t.trainImagesPerSec / 3600) * 100) / 100;
      console.log(`  ${`  PyTorch ${t.version} ${t.setting}`.padEnd(40)}${String(t.parameters).padStart(10)}${String(t.trainImagesPerSec).padStart(13)}${String(hours).padStart(12)}   ours/theirs ${t.ratio}`);
    }
  }
}
