// bench:align — neuron-align's two costs on this machine's backend:
//   correlation accumulation (rows/s streamed through CorrelationStatistics) at
//   C = 512 and 2048, and the linear assignment at n = 512, 1024 and 2048, next to
//   SciPy's linear_sum_assignment on the same matrices in the same run.
//
//   npm run bench:align -- [--python /usr/bin/python3] [--backend B] [--json]
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CorrelationStatistics, solveAssignment } from '@airbench-ts/neuron-align';
import { backendOption, selectBackend } from '@airbench-ts-example/backend';
import { option } from '@airbench-ts-example/cli';
import { benchCommand, parseBench } from './args';

const here = dirname(fileURLToPath(import.meta.url));
const values = parseBench<{ python: string; backend?: string }>(
  benchCommand('bench:align', "neuron-align: correlation accumulation rows/s and assignment time, vs SciPy's linear_sum_assignment.")
    .addOption(option('--python <path>', 'the Python with SciPy (Debian: python3-scipy)', undefined, '/usr/bin/python3'))
    .addOption(backendOption()),
);
const backend = await selectBackend({ ...(values.backend ? { backend: values.backend } : {}), log: () => {} });

// 1. Correlation accumulation: batches of 8,192 rows (e.g. 8 images × 32 × 32 positions), 10 batches.
const correlation: { channels: number; rowsPerSecond: number }[] = [];
for (const channels of [512, 2048]) {
  const rows = 8192;
  const stats = new CorrelationStatistics();
  const [a, b] = [tf.randomNormal([rows, channels], 0, 1, 'float32', 1), tf.randomNormal([rows, channels], 0, 1, 'float32', 2)];
  stats.add(a, b); // warm-up
  const started = performance.now();
  for (let k = 0; k < 10; k++) stats.add(a, b);
  stats.result();
  correlation.push({ channels, rowsPerSecond: Math.round((10 * rows) / ((performance.now() - started) / 1000)) });
  tf.dispose([a, b]);
}

// 2. Assignment on correlation-like matrices: a hidden matching plus noise, the shape real ones have.
const work = mkdtempSync(join(tmpdir(), 'bench-align-'));
const assignment: { n: number; seconds: number; objective: number; scipySeconds?: number; scipyObjective?: number; ratio?: number }[] = [];
let state = 1;
const random = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
for (const n of [512, 1024, 2048]) {
  const scores = Float64Array.from({ length: n * n }, (_, k) => (Math.floor(k / n) * 7919) % n === k % n ? 0.5 + 0.4 * random() : 0.6 * random() - 0.1);
  writeFileSync(join(work, `scores-${n}.f64`), Buffer.from(scores.buffer));
  let best = Infinity;
  let objective = 0;
  for (let r = 0; r < 3; r++) {
    const started = performance.now();
    const perm = solveAssignment(scores, n);
    best = Math.min(best, (performance.now() - started) / 1000);
    objective = perm.reduce((s, j, i) => s + scores[i * n + j]!, 0);
  }
  assignment.push({ n, seconds: Math.round(best * 1000) / 1000, objective });
}
const scipy = spawnSync(values.python, [join(here, 'lap_scipy.py'), work], { encoding: 'utf8' });
rmSync(work, { recursive: true, force: true });
let scipyVersion: string | null = null;
if (scipy.status === 0) {
  const result = JSON.parse(scipy.stdout) as { scipy: string; results: { n: number; seconds: number; objective: number }[] };
  scipyVersion = result.scipy;
  for (const row of assignment) {
    const theirs = result.results.find((r) => r.n === row.n)!;
    Object.assign(row, { scipySeconds: Math.round(theirs.seconds * 1000) / 1000, scipyObjective: theirs.objective, ratio: Math.round((row.seconds / theirs.seconds) * 100) / 100 });
  }
} else {
  console.error(`bench:align: ${values.python} bench/lap_scipy.py failed (${scipy.stderr.trim().split('\n').pop()}); install SciPy (Debian: apt-get install python3-scipy) for the comparison.`);
}
const result = { backend: backend.name, tensorflowVersion: backend.tensorflowVersion, correlation, assignment, scipy: scipyVersion, lap: 'neuron-align shortest augmenting paths' };
mkdirSync(join(here, '..', 'results'), { recursive: true });
writeFileSync(join(here, '..', 'results', 'bench-align.json'), `${JSON.stringify(result, null, 2)}\n`);
if (values.json) console.log(JSON.stringify(result));
else console.log(result);
