#!/usr/bin/env node
// Runs a command and reports its wall time and peak memory: the largest sum of
// resident memory over the whole process tree at any moment (vitest runs test
// files in parallel child processes, so one process's peak understates what a
// machine needs), sampled every 200 ms, and the largest single process.
//
//   node scripts/measure.mjs [--max-rss-mb N] [--max-seconds S] [--label L] -- <command> [args...]
//
// Exits with the command's code, or 3 when it passed but went over a limit.
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import pidtree from 'pidtree';
import pidusage from 'pidusage';

const HELP = `Usage: node scripts/measure.mjs [--max-rss-mb N] [--max-seconds S] [--label L] [--json] -- <command> [args...]\n`;
let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      'max-rss-mb': { type: 'string' },
      'max-seconds': { type: 'string' },
      label: { type: 'string', default: 'command' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
} catch (error) {
  process.stderr.write(`measure: ${error.message}\n${HELP}`);
  process.exit(2);
}
const { values, positionals } = parsed;
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const limit = (name) => {
  if (values[name] === undefined) return Infinity;
  const n = Number(values[name]);
  if (!(n > 0)) {
    process.stderr.write(`measure: --${name} must be a positive number, not '${values[name]}'\n`);
    process.exit(2);
  }
  return n;
};
const [maxMb, maxSeconds] = [limit('max-rss-mb'), limit('max-seconds')];
if (positionals.length === 0) {
  process.stderr.write(`measure: no command given\n${HELP}`);
  process.exit(2);
}

const started = performance.now();
const child = spawn(positionals[0], positionals.slice(1), { stdio: 'inherit' });
let peakTotal = 0;
let peakSingle = 0;
let sampling = false;
const sample = async () => {
  if (sampling) return;
  sampling = true;
  try {
    const pids = await pidtree(child.pid, { root: true });
    const usage = await pidusage(pids);
    const rss = Object.values(usage).map((u) => u.memory);
    peakTotal = Math.max(peakTotal, rss.reduce((a, b) => a + b, 0));
    peakSingle = Math.max(peakSingle, ...rss);
  } catch {
    // a process ended between listing and reading: the next sample sees the rest
  } finally {
    sampling = false;
  }
};
const timer = setInterval(sample, 200);
const code = await new Promise((resolve) => child.on('close', (status, signal) => resolve(status ?? (signal ? 128 : 1))));
clearInterval(timer);
pidusage.clear();

const seconds = (performance.now() - started) / 1000;
const mb = (bytes) => Math.round(bytes / 2 ** 20);
const result = { label: values.label, exitCode: code, seconds: Math.round(seconds * 10) / 10, peakRssMb: mb(peakTotal), peakSingleProcessRssMb: mb(peakSingle) };
const over = [];
if (mb(peakTotal) > maxMb) over.push(`peak memory ${mb(peakTotal)} MB > ${maxMb} MB`);
if (seconds > maxSeconds) over.push(`time ${result.seconds} s > ${maxSeconds} s`);
process.stderr.write(
  `[measure] ${values.label}: ${result.seconds} s, peak RSS ${result.peakRssMb} MB over the process tree (largest process ${result.peakSingleProcessRssMb} MB), exit ${code}` +
    (over.length ? `; OVER LIMIT: ${over.join(', ')}` : '') +
    '\n',
);
if (values.json) process.stdout.write(`${JSON.stringify({ ...result, over })}\n`);
process.exit(code !== 0 ? code : over.length ? 3 : 0);
