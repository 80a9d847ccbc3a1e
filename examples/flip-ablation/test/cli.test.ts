import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '@airbench-ts/run-variance';
import { epochsOf } from '../src/experiment';
import { parseOptions } from '../src/options';
import { captureOutput, captureStderr, runCommand } from '@airbench-ts-example/cli';
import { main } from '../src/main';
import { emulatedBf16Reason } from '@airbench-ts-example/backend';

// The example end to end, as a user runs it: a real worker process (one; two
// took the suite over its 3 GB), a real SQLite file, real CIFAR-10, the tiny
// preset (seconds a run). The harness itself (leases, kill -9, PostgreSQL) is
// tested in packages/run-variance.
const work = mkdtempSync(join(tmpdir(), 'flip-ablation-example-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * Runs the CLI's main in this process, as runMain does (its output captured); the
 * workers it starts are child processes, as for a user. In-process, the CLI's own
 * start-up (seconds: TensorFlow, CIFAR-10) is paid once for the file, not per command.
 */
async function run(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const { result, stdout, stderr } = await captureOutput(() => runCommand('flip-ablation', main, args));
  return { status: result, stdout, stderr };
}

describe('flags are refused before any work', () => {
  it.each([
    [[], /give one command, run, worker or report/],
    [['run', '--modes', 'random,mirror'], /--modes must be distinct flips of none, random, alternating, not 'random,mirror'/],
    [['run', '--budgets', '2,0'], /--budgets must be distinct epoch counts/],
    [['run', '--budgets', '4,4'], /--budgets must be distinct epoch counts/],
    [['run', '--budgets', '9.95'], /in steps of 0\.1/],
    [['run', '--net', 'resnet'], /--net must be airbench94, vgg11, airbench95, airbench96 or airbench94_muon, not 'resnet'/],
    [['run', '--preset', 'huge'], /--preset must be cpu, full, 10k or tiny, not 'huge'/],
    [['run', '--net', 'vgg11', '--precision', 'bf16'], /applies to the airbench networks only/],
    [['run', '--net', 'airbench94_muon', '--preset', 'tiny'], /--net airbench94_muon trains with its own widths and batch size: use --preset full or 10k/],
    [['run', '--runs', '0'], /--runs must be an integer in \[1, 100000\], not '0'/],
    [['worker'], /worker needs --experiment/],
  ])('%j', (argv, message) => {
    const { result, text } = captureStderr(() => parseOptions(argv));
    expect(result).toEqual({ exit: 2 });
    expect(text).toMatch(message);
    expect(text).toMatch(/See 'npm run flip-ablation -- --help' for every option\./);
  });
});

describe('run, then report (SQLite)', () => {
  const store = `sqlite:${join(work, 'ablation.db')}`;
  // The two flips the paper compares (none is the same code path with flipping off), two budgets, two seeds.
  const args = ['run', '--preset', 'tiny', '--modes', 'random,alternating', '--budgets', '1,1.5', '--runs', '2', '--workers', '1', '--store', store, '--json'];

  it('trains every cell, seed by seed; in epoch 0 the random and alternating flips are the same draw, so 1 epoch gives the same network', async () => {
    const first = await run(args);
    expect(first.status, first.stderr).toBe(0);
    const lines = first.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    expect(lines).toHaveLength(8); // 2 budgets × 2 flips × 2 seeds
    expect(lines.every((l) => l.experiment === 'tiny-airbench94' && l.accuracy > 0.12)).toBe(true); // chance is 0.10 (σ ≈ 0.01 on 1,000 images)
    const db = await openStore(store);
    const runs = await db.runs(await db.getExperiment('tiny-airbench94'), { withPredictions: true });
    await db.close();
    // A whole budget is keyed as `epochs`, a fractional one (the paper's 9.9) in tenths: the store keys by integers.
    expect(runs.map((r) => [r.seeds.seed, r.seeds.epochs ?? `${r.seeds.epochTenths}/10`, r.seeds.flip])).toEqual([0, 1].flatMap((s) => [1, '15/10'].flatMap((e) => [1, 2].map((f) => [s, e, f]))));
    const predictions = (epochs: number, flip: number, seed: number) => runs.find((r) => epochsOf(r.seeds) === epochs && r.seeds.flip === flip && r.seeds.seed === seed)!.predictions!;
    for (const seed of [0, 1]) {
      expect(predictions(1, 2, seed)).toEqual(predictions(1, 1, seed)); // alternating = random in epoch 0
      expect(predictions(1.5, 2, seed)).not.toEqual(predictions(1.5, 1, seed)); // epoch 1: alternating mirrors exactly the other half
    }
    // The same command again finds every run done: nothing is queued or trained twice.
    const again = await run(args);
    expect(again.status).toBe(0);
    expect(again.stderr).toMatch(/0 new run\(s\) queued of 8/);
    expect(again.stderr).toMatch(/8 done, 0 failed, 0 left/);
    expect(again.stdout.trim()).toBe('');
  });

  it('reports every cell with n and a CI, the tests between flips, the epochs to match, and a plot', async () => {
    const out = join(work, 'report');
    const result = await run(['report', '--store', store, '--out', out]);
    expect(result.status, result.stderr).toBe(0);
    const [report] = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).experiments;
    expect(report.cells).toHaveLength(4);
    for (const cell of report.cells) {
      expect(cell.n).toBe(2);
      expect(cell.ci[0]).toBeLessThanOrEqual(cell.mean);
      expect(cell.ci[1]).toBeGreaterThanOrEqual(cell.mean);
    }
    expect(report.comparisons.map((c: { epochs: number; a: string; b: string }) => `${c.epochs}:${c.a}-${c.b}`)).toEqual(['1:alternating-random', '1.5:alternating-random']);
    const equalAtOne = report.comparisons[0];
    expect(equalAtOne.difference).toBe(0);
    expect(equalAtOne.permutationP).toBe(1);
    expect(report.epochsToMatch.map((m: { epochs: number }) => m.epochs)).toEqual([1, 1.5]);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/\| 1\.5 \| alternating \| 2 \| \d+\.\d\d \| /);
    for (const ext of ['svg', 'png']) expect(statSync(join(out, `tiny-airbench94.${ext}`)).size).toBeGreaterThan(5000);
  });

  it('runs the same ablation on the repair example\'s VGG11, which is not airbench', async () => {
    const result = await run(['run', '--preset', 'tiny', '--net', 'vgg11', '--budgets', '1', '--modes', 'random,alternating', '--runs', '1', '--store', store, '--json']);
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.experiment, l.flip])).toEqual([['tiny-vgg11', 'random'], ['tiny-vgg11', 'alternating']]);
    expect(lines[0].accuracy).toBe(lines[1].accuracy); // one epoch: the same draw again
  });
});

// Where this CPU would emulate bf16 (no AVX-512: TensorFlow's Eigen bf16, 11× slower than fp32), a bf16
// experiment is refused once it is queued, before any training: the queue waits for a machine that computes bf16.
describe.runIf(emulatedBf16Reason() !== null)('bf16 on a CPU without AVX-512', () => {
  it('is refused before any run starts, and the runs stay queued', async () => {
    const store = `sqlite:${join(work, 'bf16.db')}`;
    const result = await run(['run', '--preset', 'tiny', '--precision', 'bf16', '--budgets', '1', '--modes', 'alternating', '--runs', '2', '--store', store]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/error: experiment 'tiny-airbench94-bf16' trains in bf16, and this CPU \(.*, no AVX-512\) computes bf16 with TensorFlow's slow Eigen kernels.*pass --allow-emulated-bf16/);
    const opened = await openStore(store, { mode: 'read' });
    try {
      const runs = await opened.runs(await opened.getExperiment('tiny-airbench94-bf16'));
      expect(runs.map((r) => r.state)).toEqual(['pending', 'pending']);
    } finally {
      await opened.close();
    }
  });
});
