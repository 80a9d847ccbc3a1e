// Kill -9 at random moments, resume, compare with a run that was never stopped.
//
//   npm run bench:kill-resume -- [--mode cli|harness] [--kills 5] [--seed 0] [--json]
//
// cli: `npm run airbench` (airbench94 64/256/256, first 5,000 images, 4 epochs,
//   bf16, TTA 2 on all 10,000 test images, a checkpoint every 2 steps): one
//   uninterrupted run, then the same command killed -9 (its whole process group)
//   at --kills moments drawn uniformly over the uninterrupted run's wall time, each
//   rerun resuming, and a last rerun to the end. Compares accuracy and the SHA-256
//   of the final weights.
// harness: `npm run flip-ablation -- run` (the cpu preset: airbench94 32/64/64,
//   first 5,000 images, batch 250; 4 epochs, alternating flip, seeds 0 and 1) with
//   2 workers on a SQLite store, checkpoints in the store: one uninterrupted store,
//   one whose parent and workers are all killed -9 at --kills random moments.
//   Compares each run's accuracy and every test prediction.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '@airbench-ts/run-variance';
import { integer, oneOf, option } from '@airbench-ts-example/cli';
import { benchCommand, parseBench } from './args';

const values = parseBench<{ mode: 'cli' | 'harness'; kills: number; seed: number }>(
  benchCommand('bench:kill-resume', 'kill -9 a training at random moments, resume each time, and compare with a run never stopped.')
    .addOption(option('--mode <cli|harness>', "the airbench example's --out + checkpoint files, or the run-variance harness with its checkpoints in the store and 2 workers", oneOf(['cli', 'harness'] as const), 'cli' as 'cli' | 'harness'))
    .addOption(option('--kills <k>', 'kill -9 at k random moments before letting the run finish', integer(0, 100), 5))
    .addOption(option('--seed <s>', 'seeds the kill moments', integer(0, 2 ** 31), 0)),
);
const { kills, seed } = values;
const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'kill-resume-'));
const log = (message: string) => process.stderr.write(`${message}\n`);

// Kill moments from a small seeded generator (mulberry32), so a rerun of the bench kills at the same moments.
let state = seed >>> 0;
const random = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/** Runs a command in its own process group; kills the whole group with SIGKILL after `killAfterMs`. */
function run(args: string[], killAfterMs?: number): Promise<{ code: number | null; killed: boolean; ms: number; stdout: string }> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@airbench-ts/source', ...args], { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += String(chunk)));
  child.stderr.on('data', () => {});
  let killed = false;
  const timer = killAfterMs === undefined ? undefined : setTimeout(() => {
    killed = true;
    process.kill(-child.pid!, 'SIGKILL');
  }, killAfterMs);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, killed, ms: performance.now() - started, stdout });
    }),
  );
}

interface Kill {
  atSeconds: number;
  /** What was on disk / in the store when the kill landed. */
  newestCheckpoint: string | null;
}

async function cliMode() {
  const command = (out: string) => [
    'examples/airbench/src/cli.ts',
    '--train-subset', '5000', '--epochs', '4', '--precision', 'bf16', '--seed', '0',
    '--checkpoint-every', '2steps', '--out', out, '--json',
  ];
  const record = (stdout: string) => JSON.parse(stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop()!) as Record<string, unknown>;
  log('uninterrupted run …');
  const plain = await run(command(join(work, 'plain', 'runs.jsonl')));
  if (plain.code !== 0) throw new Error(`the uninterrupted run failed (exit ${plain.code})`);
  const reference = record(plain.stdout);
  const out = join(work, 'killed', 'runs.jsonl');
  const checkpointDir = join(work, 'killed', 'checkpoints');
  const newest = () => {
    if (!existsSync(checkpointDir)) return null;
    const files = readdirSync(checkpointDir).flatMap((d) => readdirSync(join(checkpointDir, d))).filter((f) => f.endsWith('.ckpt')).sort();
    return files.at(-1) ?? null;
  };
  const killList: Kill[] = [];
  for (let k = 0; k < kills; k++) {
    const at = random() * plain.ms;
    const result = await run(command(out), at);
    killList.push({ atSeconds: at / 1000, newestCheckpoint: result.killed ? newest() : 'finished before the kill' });
    log(`kill ${k + 1}: at ${(at / 1000).toFixed(1)} s; newest checkpoint then: ${killList.at(-1)!.newestCheckpoint}`);
  }
  const last = await run(command(out));
  if (last.code !== 0) throw new Error(`the resumed run failed (exit ${last.code})`);
  const resumed = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8').trim().split('\n').pop()!) as Record<string, unknown>) : record(last.stdout);
  return {
    mode: 'cli',
    uninterrupted: { ttaValAcc: reference.ttaValAcc, weightsSha256: reference.weightsSha256, seconds: plain.ms / 1000, checkpointSeconds: reference.checkpointSeconds, trainSeconds: reference.trainSeconds },
    killed: { ttaValAcc: resumed.ttaValAcc, weightsSha256: resumed.weightsSha256, resumedFrom: resumed.resumedFrom ?? null },
    kills: killList,
    identical: reference.weightsSha256 === resumed.weightsSha256 && reference.ttaValAcc === resumed.ttaValAcc,
  };
}

async function harnessMode() {
  const command = (store: string) => ['examples/flip-ablation/src/cli.ts', 'run', '--preset', 'cpu', '--budgets', '4', '--modes', 'alternating', '--runs', '2', '--workers', '2', '--store', `sqlite:${store}`];
  const runsOf = async (file: string) => {
    const store = await openStore(`sqlite:${file}`);
    try {
      const [experiment] = await store.experiments();
      return await store.runs(experiment!, { withPredictions: true });
    } finally {
      await store.close();
    }
  };
  log('uninterrupted store …');
  const plainFile = join(work, 'plain.db');
  const plain = await run(command(plainFile));
  if (plain.code !== 0) throw new Error(`the uninterrupted ablation failed (exit ${plain.code})`);
  const killedFile = join(work, 'killed.db');
  const killList: Kill[] = [];
  for (let k = 0; k < kills; k++) {
    const at = random() * plain.ms;
    const result = await run(command(killedFile), at);
    let progress: string | null = null;
    if (result.killed && existsSync(killedFile)) {
      const store = await openStore(`sqlite:${killedFile}`);
      const [experiment] = await store.experiments();
      if (experiment) {
        const states = await Promise.all((await store.runs(experiment)).map(async (r) => `${JSON.stringify(r.seeds)} ${r.state}${r.state === 'running' ? ` ${JSON.stringify((await store.loadCheckpoint(experiment, JSON.stringify(r.seeds)))?.progress ?? null)}` : ''}`));
        progress = states.join('; ');
      }
      await store.close();
    }
    killList.push({ atSeconds: at / 1000, newestCheckpoint: result.killed ? progress : 'finished before the kill' });
    log(`kill ${k + 1}: at ${(at / 1000).toFixed(1)} s; ${killList.at(-1)!.newestCheckpoint}`);
  }
  const last = await run(command(killedFile));
  if (last.code !== 0) throw new Error(`the resumed ablation failed (exit ${last.code})`);
  const [a, b] = [await runsOf(plainFile), await runsOf(killedFile)];
  const runs = a.map((run, i) => ({
    seeds: run.seeds,
    uninterrupted: run.accuracy,
    killed: b[i]!.accuracy,
    attempts: b[i]!.attempts,
    resumedFrom: (b[i]!.extra as { resumedFrom?: unknown } | null)?.resumedFrom ?? null,
    samePredictions: Buffer.from(run.predictions!).equals(Buffer.from(b[i]!.predictions!)),
  }));
  return { mode: 'harness', seconds: plain.ms / 1000, kills: killList, runs, identical: runs.every((r) => r.samePredictions && r.uninterrupted === r.killed) };
}

try {
  const result = values.mode === 'cli' ? await cliMode() : await harnessMode();
  if (values.json) console.log(JSON.stringify(result));
  else console.log(JSON.stringify(result, null, 2));
} finally {
  rmSync(work, { recursive: true, force: true });
}
