#!/usr/bin/env node
// The long experiments of issues 24, 25 and 26, one after another, in the background, at the lowest priority.
//
// Every command below is resumable on its own (the repair example's endpoint cache and checkpoints, the run-variance
// store's finished runs and checkpoints), so this queue keeps no state: started again after any stop (a session's
// end, a restart, kill -9), it runs the same commands, and each skips what it finished and resumes what it had
// started. Which queue depends on the CPU: bf16 trainings only where the CPU computes bf16 natively (AVX512-BF16 or
// AMX; elsewhere bf16 is emulated, ~10× slower), the fp32 ones everywhere else.
//
//   node scripts/long-runs.mjs [--queue fp32|bf16] [--from <job>] [--list] [--json]
//
// Each job's output goes to results/long-runs/<job>.log (not committed). Commit the stores, endpoints and
// checkpoints as they grow (results/README.md: "Long runs").
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isAlive } from './lib/process.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const repair = (args) => ['npm', 'run', 'repair', '--', ...args, '--align', 'activations,weights', '--out', 'results/repair-converged'];

/** In the order they should run: the cheapest evidence for an open claim first. */
const QUEUES = {
  fp32: [
    // Issue 24, item 2: the training-length sweep one step further towards convergence (~2 h for 50 runs, which
    // fits one sitting and completes the sweep; the repair pairs below need several sittings each).
    { job: 'variance-e32', issue: 24, command: ['npm', 'run', 'variance', '--', 'run', '--epochs', '32', '--runs', '50'] },
    // Issue 25: ResNet20 ×1 BN, 3 pairs (the paper's 68%), ~3 h an endpoint on 2 AVX2 cores.
    { job: 'repair-resnet20-w1-bn-seed0', issue: 25, command: repair(['--model', 'resnet20', '--width', '1', '--epochs', '40', '--seed', '0']) },
    { job: 'repair-resnet20-w1-bn-seed2', issue: 25, command: repair(['--model', 'resnet20', '--width', '1', '--epochs', '40', '--seed', '2']) },
    { job: 'repair-resnet20-w1-bn-seed4', issue: 25, command: repair(['--model', 'resnet20', '--width', '1', '--epochs', '40', '--seed', '4']) },
    // Issue 25: LayerNorm at ×1 (the paper's 43%), then BN at ×2 (its 88%, ~10 h an endpoint here).
    { job: 'repair-resnet20-w1-ln-seed0', issue: 25, command: repair(['--model', 'resnet20', '--norm', 'layer', '--width', '1', '--epochs', '40', '--seed', '0']) },
    { job: 'repair-resnet20-w2-bn-seed0', issue: 25, command: repair(['--model', 'resnet20', '--width', '2', '--epochs', '40', '--seed', '0']) },
  ],
  bf16: [
    // Issue 24, item 1: the full-data airbench94 runs (25), then issue 26's rows.
    { job: 'airbench94-full-25', issue: 24, command: ['npm', 'run', 'flip-ablation', '--', 'run', '--preset', 'full', '--modes', 'alternating', '--runs', '25', '--workers', '1', '--precision', 'bf16'] },
    { job: 'airbench94-muon-full-5', issue: 26, command: ['npm', 'run', 'flip-ablation', '--', 'run', '--preset', 'full', '--net', 'airbench94_muon', '--modes', 'alternating', '--runs', '5', '--workers', '1', '--precision', 'bf16'] },
    { job: 'airbench95-full-3', issue: 26, command: ['npm', 'run', 'flip-ablation', '--', 'run', '--preset', 'full', '--net', 'airbench95', '--modes', 'alternating', '--runs', '3', '--workers', '1', '--precision', 'bf16'] },
    { job: 'airbench96-full-1', issue: 26, command: ['npm', 'run', 'flip-ablation', '--', 'run', '--preset', 'full', '--net', 'airbench96', '--modes', 'alternating', '--runs', '1', '--workers', '1', '--precision', 'bf16'] },
  ],
};

const HELP = `Usage: node scripts/long-runs.mjs [--queue fp32|bf16] [--from <job>] [--list] [--json]

Runs the long experiments (issues 24-26) one after another at nice 19; each resumes where it stopped.
  --queue   fp32 or bf16 (default: bf16 where the CPU has AVX512-BF16 or AMX, else fp32)
  --from    start at this job of the queue (the ones before it are skipped)
  --list    print the queue and exit
  --json    --list as JSON; when running, one JSON line per finished job
`;

let values;
try {
  ({ values } = parseArgs({ options: { queue: { type: 'string' }, from: { type: 'string' }, list: { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } }));
} catch (error) {
  process.stderr.write(`long-runs: ${error.message}\n${HELP}`);
  process.exit(2);
}
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const flags = (() => {
  try {
    return new Set((readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '').trim().split(/\s+/));
  } catch {
    return new Set(); // not Linux: the fp32 queue
  }
})();
const nativeBf16 = flags.has('avx512_bf16') || flags.has('amx_bf16');
const queueName = values.queue ?? (nativeBf16 ? 'bf16' : 'fp32');
if (!(queueName in QUEUES)) {
  process.stderr.write(`long-runs: --queue must be fp32 or bf16, not '${queueName}'\n`);
  process.exit(2);
}
let queue = QUEUES[queueName];
if (values.from !== undefined) {
  const at = queue.findIndex((j) => j.job === values.from);
  if (at < 0) {
    process.stderr.write(`long-runs: no job '${values.from}' in the ${queueName} queue; its jobs: ${queue.map((j) => j.job).join(', ')}\n`);
    process.exit(2);
  }
  queue = queue.slice(at);
}
if (queueName === 'bf16' && !nativeBf16) process.stderr.write('long-runs: warning: this CPU has neither AVX512-BF16 nor AMX; bf16 is emulated here, ~10× slower\n');

if (values.list) {
  if (values.json) process.stdout.write(`${JSON.stringify({ queue: queueName, nativeBf16, jobs: queue })}\n`);
  else for (const j of queue) process.stdout.write(`${j.job} (issue ${j.issue}): ${j.command.join(' ')}\n`);
  process.exit(0);
}

const logs = join(root, 'results', 'long-runs');
mkdirSync(logs, { recursive: true });
// One queue at a time: two would train side by side (each job refuses only the endpoint the other is training).
// The pid with the boot it ran in: after a restart the same pid may be another program's.
const pidFile = join(logs, 'queue.pid');
const boot = (() => {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
})();
const holder = (() => {
  try {
    return JSON.parse(readFileSync(pidFile, 'utf8'));
  } catch {
    return null; // none, or not ours
  }
})();
if (holder && Number.isInteger(holder.pid) && holder.pid !== process.pid && holder.boot === boot && isAlive(holder.pid)) {
  process.stderr.write(`long-runs: a queue already runs as process ${holder.pid} (${pidFile}); stop it first (kill ${holder.pid}: its job stops as after Ctrl-C and resumes next time)\n`);
  process.exit(2);
}
writeFileSync(pidFile, JSON.stringify({ pid: process.pid, boot }));
process.on('exit', () => rmSync(pidFile, { force: true }));

let stopping = false;
let current = null;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopping = true;
    // To the job's whole process group (npm, tsx, the training), as a terminal's Ctrl-C would: the training saves
    // where it is and stops; what it finished is kept, the rest resumes next time.
    if (current?.pid) {
      try {
        process.kill(-current.pid, signal);
      } catch {
        // already gone
      }
    }
  });
}

const failed = [];
for (const { job, issue, command } of queue) {
  if (stopping) break;
  const log = join(logs, `${job}.log`);
  const started = new Date();
  process.stderr.write(`long-runs: ${started.toISOString()} ${job} (issue ${issue}) → ${log}\n`);
  const out = createWriteStream(log, { flags: 'a' });
  out.write(`\n# ${started.toISOString()} ${command.join(' ')}\n`);
  const code = await new Promise((resolve) => {
    current = spawn('nice', ['-n', '19', ...command], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    // A session of its own (detached), so that its autogroup is its own: nice alone does not yield where the kernel
    // groups processes by session (results/README.md), so that group is lowered too, and only that group.
    try {
      writeFileSync(`/proc/${current.pid}/autogroup`, '19');
    } catch {
      // no autogroup here (or not Linux): nice is enough
    }
    current.stdout.pipe(out, { end: false });
    current.stderr.pipe(out, { end: false });
    current.on('close', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
  });
  out.end();
  const record = { job, issue, exit: code, minutes: Math.round((Date.now() - started.getTime()) / 6000) / 10, log };
  if (code !== 0) failed.push(job);
  const outcome = code === 0 ? 'done' : stopping ? 'stopped; it resumes when the queue runs again' : `exit ${code} (see its log; the queue goes on)`;
  process.stderr.write(`long-runs: ${job}: ${outcome} after ${record.minutes} min\n`);
  if (values.json) process.stdout.write(`${JSON.stringify(record)}\n`);
}
process.exit(failed.length > 0 ? 1 : 0);
