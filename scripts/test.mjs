#!/usr/bin/env node
// `npm test`: the whole vitest workspace as two vitest processes side by side.
//
// Why two: vitest's forks pool runs every multi-fork file first and the
// single-fork ones (our `heavy` projects, which train real networks one file at
// a time: vitest.shared.ts) only after them, so for two minutes the trainings
// waited for light files, and for the rest of the run the light files were done
// and a training kept ~1.4 of the 2 cores busy: 403 s on a 2-core AVX2 EPYC,
// over the suite's 5-minute budget. Here two lanes (AIRBENCH_TEST_LANE=1 and 2,
// vitest.shared.ts says which project runs where) start at once, each running
// one file at a time in a fork of its own: two test processes at most, so the
// suite stays within its 3 GB.
//
// The CIFAR-10 copy both read is found or fetched once, first, so that the two
// processes' data set-ups never fetch side by side (they take its location from
// $AIRBENCH_TEST_DATA instead of verifying the files again). Extra arguments go to both
// (`npm test -- packages/derand-flip` runs one package's files). Every line is
// prefixed with its lane; the exit code is the first failure's, else 0.
import { spawn, execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(`Usage: npm test [-- <vitest filters and options>]\n\nRuns the workspace's tests as two vitest processes side by side (lanes 1 and 2,\none file at a time each); arguments go to both. AIRBENCH_TEST_LANE=1 npx vitest\nrun runs one lane alone.\n`);
  process.exit(0);
}

let located;
try {
  located = execFileSync(process.execPath, ['--import', 'tsx', '--conditions=@airbench-ts/source', 'scripts/fetch-test-data.ts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
    .trim()
    .split('\n')
    .pop();
} catch {
  // cifar-data said why on stderr (above): which sources it tried and what to do.
  process.stderr.write('npm test: the tests read CIFAR-10, which was neither found nor fetched (see above); no test ran.\n');
  process.exit(1);
}

// TensorFlow sizes its intra-op pool to every core in each process; with two
// lanes training side by side that is twice the threads there are cores, and
// their spinning and switching cost CPU time: each lane's processes get half the
// cores instead (measured on 2 cores: 279.9 s instead of 298.1 s for the suite),
// unless the caller chose. The same rule as the study workers (examples/harness).
const threads = String(Math.max(1, Math.floor(availableParallelism() / 2)));
const tensorflow = { TF_NUM_INTRAOP_THREADS: process.env.TF_NUM_INTRAOP_THREADS ?? threads, TF_NUM_INTEROP_THREADS: process.env.TF_NUM_INTEROP_THREADS ?? '1' };

// esbuild (vite's, in each lane's vitest process, and tsx's, in every child process
// a test starts) is a Go program: by default its heap may grow to twice what is
// live, and it gives memory back only minutes later. Pre-bundling tfjs-core for
// every project at a lane's start took vite's to 383 MB (both lanes: 300-340 MB
// each beside the trainings at the suite's peak in CI, 2026-12-07, over its 3 GB).
// A tighter collector, unless the caller chose: 235 MB, no slower (GOGC=25 with a
// 128 MiB soft limit, measured on a 2-core AVX2 EPYC, lane 2 from a new checkout).
const go = { GOGC: process.env.GOGC ?? '25', GOMEMLIMIT: process.env.GOMEMLIMIT ?? '128MiB' };

// --no-isolate: a lane runs a project's files one after another in one fork
// (still one fork per project), so TensorFlow, CIFAR-10 and the compiled modules
// are loaded once per project, not once per file (airbench-net's ten files: 65 s
// instead of 80 s). Each file cleans up after itself; the tests check for leaks.
const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
const children = ['1', '2'].map((lane) => {
  const child = spawn(process.execPath, [vitest, 'run', '--passWithNoTests', '--maxWorkers', '1', '--minWorkers', '1', '--no-isolate', ...args], {
    cwd: root,
    // Where the data was found, so that the lanes' data set-ups (vitest.data-setup.ts) do not verify it again.
    env: { ...process.env, ...tensorflow, ...go, AIRBENCH_TEST_LANE: lane, AIRBENCH_TEST_DATA: located },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const [stream, out] of [[child.stdout, process.stdout], [child.stderr, process.stderr]]) {
    createInterface({ input: stream }).on('line', (line) => out.write(`[lane ${lane}] ${line}\n`));
  }
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ lane, code: code ?? (signal ? 1 : 0) })));
});

// Ctrl-C reaches the children through the terminal's process group; wait for them to stop.
process.on('SIGINT', () => {});
const results = await Promise.all(children);
const failed = results.find((r) => r.code !== 0);
process.stdout.write(`npm test: ${results.map((r) => `lane ${r.lane} ${r.code === 0 ? 'passed' : `failed (exit ${r.code})`}`).join(', ')}\n`);
process.exit(failed ? failed.code : 0);
