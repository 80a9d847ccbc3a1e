// Benchmark: how long CIFAR-10 takes to load from a directory, and one loader
// epoch over the 50,000 training images with airbench94's augmentation
// (translate 2 + alternating flip), batch 1024, drop_last. Not a test: results
// are printed (and written with --json), never asserted.
//
//   npm run bench:data -- [--data-dir D] [--repeats N] [--json]
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { CifarLoader, loadCifar10 } from '@airbench-ts/cifar-data';
import { createFlipPolicy } from '@airbench-ts/derand-flip';
import { integer, option } from '@airbench-ts-example/cli';
import { benchCommand, parseBench } from './args';

const values = parseBench<{ repeats: number }>(
  benchCommand('bench:data', 'Time loading CIFAR-10 and one augmented loader epoch.').addOption(option('--repeats <n>', 'timed repetitions', integer(1, 100), 3)),
);
const { repeats } = values;

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const loadTimes: number[] = [];
let data!: Awaited<ReturnType<typeof loadCifar10>>;
for (let r = 0; r < repeats; r++) {
  const t0 = performance.now();
  data = await loadCifar10({ ...(values.dataDir ? { dataDir: values.dataDir } : {}), progress: false });
  loadTimes.push((performance.now() - t0) / 1000);
}

await tf.ready();
const loader = new CifarLoader(data.train, {
  batchSize: 1024,
  shuffle: true,
  dropLast: true,
  translate: 2,
  flip: createFlipPolicy({ seed: 0 }),
});
const epochTimes: number[] = [];
for (let r = 0; r < repeats; r++) {
  const t0 = performance.now();
  for (const { inputs, labels } of loader) tf.dispose([inputs, labels]);
  epochTimes.push((performance.now() - t0) / 1000);
}

const result = {
  source: data.location.source,
  dir: data.location.dir,
  loadSeconds: Number(median(loadTimes).toFixed(3)),
  epochSeconds: Number(median(epochTimes).toFixed(3)),
  epochImagesPerSec: Math.round((loader.length * 1024) / median(epochTimes)),
  backend: tf.getBackend(),
  repeats,
};
if (values.json) console.log(JSON.stringify(result));
else {
  console.log(`CIFAR-10 from ${result.source} (${result.dir}), median of ${repeats}:`);
  console.log(`  load + verify          ${result.loadSeconds.toFixed(3)} s`);
  console.log(`  one loader epoch       ${result.epochSeconds.toFixed(3)} s  (${result.epochImagesPerSec} images/s, translate 2 + alternating flip, backend ${result.backend})`);
}
