#!/usr/bin/env node
// Runs a command and reports its wall time and peak memory over the whole
// process tree at any moment (vitest runs test files in parallel child
// processes, so one process's peak understates what a machine needs), sampled
// every 200 ms (PSS every second), and the largest single process.
//
// The limit applies to the proportional set size (PSS, /proc/<pid>/smaps_rollup
// on Linux): each page counted once, shared pages split between the processes
// that map them. The plain sum of RSS, also printed, counts TensorFlow's ~330 MB
// of library pages once per process that loads it, so four test processes
// "used" a gigabyte the machine never spent. Where PSS cannot be read (not
// Linux), the limit applies to the RSS sum.
//
//   node scripts/measure.mjs [--max-rss-mb N] [--max-seconds S] [--label L] -- <command> [args...]
//
// Exits with the command's code, or 3 when it passed but went over a limit.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import pidtree from 'pidtree';
import pidusage from 'pidusage';

const HELP = `Usage: node scripts/measure.mjs [--max-rss-mb N] [--max-seconds S] [--label L] [--json] -- <command> [args...]\n\n--max-rss-mb limits the process tree's summed PSS where Linux reports it (shared pages counted once), else its summed RSS.\n`;
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
let peakPss = 0;
let pssReadable = process.platform === 'linux';
/** At the PSS peak: the largest processes (PSS, and what they run), so a peak can be traced to its tests. */
let peakParts = [];
const commandOf = async (pid) => {
  const text = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return text.split('\0').filter(Boolean).map((a) => a.replace(/^.*\/node_modules\//, '…/')).join(' ').slice(0, 160);
};
/** A process's PSS in bytes, or undefined when it ended or the kernel does not say. */
const pssOf = async (pid) => {
  const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => undefined);
  const kb = text && /^Pss:\s+(\d+) kB/m.exec(text)?.[1];
  return kb ? Number(kb) * 1024 : undefined;
};
let sampling = false;
let samples = 0;
const sample = async () => {
  if (sampling) return;
  sampling = true;
  try {
    const pids = await pidtree(child.pid, { root: true });
    const usage = await pidusage(pids);
    const rss = Object.values(usage).map((u) => u.memory);
    peakTotal = Math.max(peakTotal, rss.reduce((a, b) => a + b, 0));
    peakSingle = Math.max(peakSingle, ...rss);
    // PSS every fifth sample: reading smaps_rollup walks a process's page tables, and TensorFlow's processes map
    // ~30 GB of address space (every 200 ms it cost the suite ~45 s of CPU, most of it in the kernel).
    if (pssReadable && samples++ % 5 === 0) {
      const pss = await Promise.all(pids.map(pssOf));
      if (pss[0] === undefined) pssReadable = false; // the root command itself has no smaps_rollup: an older kernel
      else {
        const total = pss.reduce((a, b) => a + (b ?? 0), 0);
        if (total > peakPss) {
          peakPss = total;
          const largest = pids.map((pid, k) => ({ pid, pss: pss[k] ?? 0 })).sort((a, b) => b.pss - a.pss).slice(0, 6);
          peakParts = await Promise.all(largest.map(async ({ pid, pss: bytes }) => ({ pid, pssMb: Math.round(bytes / 2 ** 20), command: await commandOf(pid) })));
        }
      }
    }
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
const result = {
  label: values.label,
  exitCode: code,
  seconds: Math.round(seconds * 10) / 10,
  ...(pssReadable ? { peakPssMb: mb(peakPss) } : {}),
  peakRssMb: mb(peakTotal),
  peakSingleProcessRssMb: mb(peakSingle),
  ...(pssReadable ? { atPeakPss: peakParts } : {}),
};
const [measured, what] = pssReadable ? [result.peakPssMb, 'PSS'] : [result.peakRssMb, 'RSS sum'];
const over = [];
if (measured > maxMb) over.push(`peak memory (${what}) ${measured} MB > ${maxMb} MB`);
if (seconds > maxSeconds) over.push(`time ${result.seconds} s > ${maxSeconds} s`);
process.stderr.write(
  `[measure] ${values.label}: ${result.seconds} s, peak ${pssReadable ? `PSS ${result.peakPssMb} MB, ` : ''}RSS sum ${result.peakRssMb} MB over the process tree (largest process ${result.peakSingleProcessRssMb} MB RSS), exit ${code}` +
    (over.length ? `; OVER LIMIT: ${over.join(', ')}` : '') +
    '\n' +
    (peakParts.length ? `[measure] at the PSS peak, the largest processes: ${peakParts.map((p) => `${p.pssMb} MB ${p.command}`).join('; ')}\n` : ''),
);
if (values.json) process.stdout.write(`${JSON.stringify({ ...result, over })}\n`);
process.exit(code !== 0 ? code : over.length ? 3 : 0);
