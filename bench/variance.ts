// bench:variance — the run-variance harness's own costs, not training:
//   store throughput (runs/s written and read back, 10,000-example predictions)
//   on SQLite and on PostgreSQL (a throw-away local server, as the tests start),
//   varianceReport on 1,000 runs × 10,000 examples (with its 1,000-resample
//   bootstrap), and the harness overhead per run against calling the run
//   function directly.
//
//   npm run bench:variance -- [--runs N] [--json]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { correctnessMatrix, openStore, varianceReport, workOn, type RunOutput } from '@airbench-ts/run-variance';
import { startPostgres } from '../packages/run-variance/test/start-postgres';
import { integer, option } from '@airbench-ts-example/cli';
import { benchCommand, parseBench } from './args';

const here = dirname(fileURLToPath(import.meta.url));
const values = parseBench<{ runs: number }>(
  benchCommand('bench:variance', 'Store throughput (SQLite, PostgreSQL), varianceReport on 1,000 × 10,000, harness overhead per run.').addOption(option('--runs <n>', 'runs stored', integer(10, 100_000), 200)),
);
const { runs } = values;
const n = 10_000;
const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
let state = 1;
const random = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const predictionsOf = () => Uint8Array.from(labels, (y) => (random() < 0.9 ? y : (y + 1) % 10));

async function storeThroughput(url: string) {
  const store = await openStore(url);
  const experiment = await store.openExperiment({ name: 'bench', config: { classes: 10 }, labels });
  await store.enqueue(experiment, Array.from({ length: runs }, (_, s) => ({ model: s })));
  const worker = { host: 'bench', pid: process.pid, tag: 'bench' };
  const outputs = Array.from({ length: runs }, predictionsOf);
  let started = performance.now();
  for (let k = 0; k < runs; k++) {
    const claim = (await store.claim(experiment, worker, 60))!;
    await store.complete(experiment, claim.key, worker, { predictions: outputs[k]!, seconds: 1 });
  }
  const writeSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  const read = await store.runs(experiment, { withPredictions: true });
  const readSeconds = (performance.now() - started) / 1000;
  await store.close();
  if (read.length !== runs) throw new Error(`read ${read.length} runs back, wrote ${runs}`);
  return { runsPerSecondWritten: Math.round(runs / writeSeconds), runsPerSecondRead: Math.round(runs / readSeconds) };
}

const work = mkdtempSync(join(tmpdir(), 'bench-variance-'));
const server = await startPostgres();
const result: Record<string, unknown> = {};
try {
  result.sqlite = await storeThroughput(`sqlite:${join(work, 'bench.db')}`);
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  await client.query('CREATE DATABASE bench');
  await client.end();
  result.postgres = await storeThroughput(server.url.replace(/\/postgres$/, '/bench'));

  // varianceReport on 1,000 runs × 10,000 examples.
  const matrix = correctnessMatrix(Array.from({ length: 1000 }, predictionsOf), labels);
  let started = performance.now();
  varianceReport(matrix);
  result.varianceReportSeconds = Math.round((performance.now() - started) / 10) / 100;

  // Harness overhead: a CPU-bound run of about 0.5 s, called directly and through workOn on SQLite.
  const busy = (): RunOutput => {
    const until = performance.now() + 500;
    while (performance.now() < until);
    return { predictions: predictionsOf() };
  };
  const count = 20;
  started = performance.now();
  for (let k = 0; k < count; k++) busy();
  const direct = (performance.now() - started) / 1000;
  const store = await openStore(`sqlite:${join(work, 'overhead.db')}`);
  const experiment = await store.openExperiment({ name: 'overhead', config: {}, labels });
  await store.enqueue(experiment, Array.from({ length: count }, (_, s) => ({ model: s })));
  started = performance.now();
  await workOn({ store, experiment, run: busy });
  const harnessed = (performance.now() - started) / 1000;
  await store.close();
  result.harness = { runs: count, directSeconds: Math.round(direct * 1000) / 1000, harnessSeconds: Math.round(harnessed * 1000) / 1000, overheadPercent: Math.round(((harnessed - direct) / direct) * 10000) / 100 };
} finally {
  server.stop();
  rmSync(work, { recursive: true, force: true });
}
result.runsWritten = runs;
mkdirSync(join(here, '..', 'results'), { recursive: true });
writeFileSync(join(here, '..', 'results', 'bench-variance.json'), `${JSON.stringify(result, null, 2)}\n`);
if (values.json) console.log(JSON.stringify(result));
else console.log(result);
