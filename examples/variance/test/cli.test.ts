import { existsSync, readdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '@airbench-ts/run-variance';
import { parseOptions } from '../src/options';
import { captureStderr, captureOutput, runCommand } from '@airbench-ts-example/cli';
import { main } from '../src/main';

// The example end to end, as a user runs it: real worker processes, a real
// SQLite file, real CIFAR-10, the tiny preset (a narrow airbench94, 1,024 images,
// 2 epochs, evaluated on the first 1,000 test images: seconds a run). The CLI's
// own commands run in this process: its start-up (TensorFlow, CIFAR-10) is paid
// once for the file, not once per command.
const work = mkdtempSync(join(tmpdir(), 'variance-example-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The CLI's main in this process, as runMain runs it (output captured); the workers it starts are child processes. */
const variance = (argv: string[]) => captureOutput(() => runCommand('variance', main, argv));

describe('flags are refused before any work', () => {
  it.each([
    [[], /give one command, run, worker or report/],
    [['train'], /give one command, run, worker or report, not 'train'/],
    [['run', '--vary', 'lr'], /--vary must be all, model, order or aug/],
    [['run', '--store', 'mysql://x/y'], /--store must be sqlite:<path> or postgres:/],
    [['run', '--runs', '1'], /--runs must be an integer in \[2, 1000000\], not '1'/],
    [['run', '--preset', 'huge'], /--preset must be cpu, cpu-short or tiny, not 'huge'/],
    [['worker'], /worker needs --experiment/],
    [['run', '--workers', '0'], /--workers must be an integer in \[1, 64\]/],
    [['run', '--epochs', '4,0'], /--epochs must be positive epoch counts, e\.g\. 4 or 4,8,16, not '4,0'/],
    [['run', '--epochs', '4,8,4'], /--epochs must be distinct epoch counts, e\.g\. 4,8,16, not '4,8,4'/],
    [['run', '--epochs', '4,8', '--experiment', 'mine'], /--experiment names one experiment, and --epochs 4,8 makes one per length: leave --experiment out/],
  ])('%j', (argv, message) => {
    const { result, text } = captureStderr(() => parseOptions(argv));
    expect(result).toEqual({ exit: 2 });
    expect(text).toMatch(message);
    expect(text).toMatch(/See 'npm run variance -- --help' for every option\./);
  });
});

// In this process (the CLI's main and its error line, as runMain prints it): these refusals come before any work.
describe('stores are created only by run', () => {
  it('report and worker on a mistyped store path are refused and leave no file behind; run refuses a missing directory', async () => {
    const missing = join(work, 'typo.db');
    const out = join(work, 'typo-report');
    for (const args of [['report', '--out', out], ['worker', '--experiment', 'x']]) {
      const { result, text } = await variance([...args, '--store', `sqlite:${missing}`]);
      expect(result).toBe(1);
      expect(text).toMatch(/^variance: sqlite:.*typo\.db: there is no store at .*typo\.db; check the path \(`run` creates a new store\)/);
    }
    expect(existsSync(missing)).toBe(false);
    expect(existsSync(out)).toBe(false);
    const run = await variance(['run', '--preset', 'tiny', '--runs', '2', '--store', `sqlite:${join(work, 'nonexistent', 'dir', 'x.db')}`]);
    expect(run.result).toBe(1);
    expect(run.text).toMatch(/the directory .*nonexistent.dir does not exist; check the path, or create the directory first/);
    expect(existsSync(join(work, 'nonexistent'))).toBe(false);
  });
});

// One tiny real training for the wiring. The harness itself (claims, leases,
// kill -9 of real worker processes, two processes on one PostgreSQL store) is
// tested in packages/run-variance with a run function that does not train.
describe('run, then report (SQLite)', () => {
  const store = `sqlite:${join(work, 'variance.db')}`;

  it('runs real trainings in a worker process: one JSON line per run, each above chance, each stored once', async () => {
    const args = ['run', '--preset', 'tiny', '--runs', '3', '--workers', '1', '--store', store, '--json'];
    const first = await variance(args);
    expect(first.result, first.text).toBe(0);
    const lines = first.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ experiment: 'tiny-vary-all', backend: expect.any(String), seeds: { model: expect.any(Number), order: expect.any(Number), aug: expect.any(Number) } });
    expect(lines.every((l) => l.accuracy > 0.12)).toBe(true); // chance is 0.10 (σ ≈ 0.01 on 1,000 images); measured 13.9–16.5% (n = 5, 8/16/16)
    const db = await openStore(store);
    const runs = await db.runs(await db.getExperiment('tiny-vary-all'));
    expect(runs.map((r) => [r.seeds.model, r.state, r.attempts])).toEqual([[0, 'done', 1], [1, 'done', 1], [2, 'done', 1]]);
    await db.close();
  });

  it('with a list of --epochs, queues one experiment per length and works through them in that order', async () => {
    const lengths = `sqlite:${join(work, 'lengths.db')}`;
    // Half an epoch and a quarter (4 and 2 steps a run): the order and the naming are what is tested.
    const run = await variance(['run', '--preset', 'tiny', '--epochs', '0.5,0.25', '--runs', '2', '--workers', '1', '--store', lengths, '--json']);
    expect(run.result, run.text).toBe(0);
    const lines = run.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.experiment, l.seeds.model])).toEqual([['tiny-e0.5-n1024-vary-all', 0], ['tiny-e0.5-n1024-vary-all', 1], ['tiny-e0.25-n1024-vary-all', 0], ['tiny-e0.25-n1024-vary-all', 1]]);
    const db = await openStore(lengths, { mode: 'read' });
    expect((await db.experiments()).map((e) => [e.name, (e.config as { epochs: number }).epochs])).toEqual([['tiny-e0.5-n1024-vary-all', 0.5], ['tiny-e0.25-n1024-vary-all', 0.25]]);
    await db.close();
  });

  it('reports the runs: Markdown, JSON, and every plot as SVG and PNG', async () => {
    const out = join(work, 'report');
    const result = await variance(['report', '--store', store, '--out', out]);
    expect(result.result, result.text).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const [tiny] = report.experiments;
    expect(tiny).toMatchObject({ experiment: 'tiny-vary-all', runs: 3, examples: 1000 });
    for (const key of ['meanAccuracy', 'stdAccuracy', 'ieaStd', 'distributionWiseStd', 'binaryCalibrationStd']) expect(typeof tiny[key]).toBe('number');
    expect(tiny.splitHalf).toEqual({ covariance: expect.any(Number), correlation: expect.any(Number) });
    const markdown = readFileSync(join(out, 'report.md'), 'utf8');
    expect(markdown).toMatch(/\| tiny-vary-all \| all \| 2 \| 3 \|/);
    // The reading in words, the calibration number, and a link to every plot written.
    expect(markdown).toMatch(/\*\*tiny-vary-all\*\* \(3 runs, vary all, 2 epochs\): test-set std .*; independent errors predict .*σ_D .*95% CI/);
    expect(markdown).toMatch(/ECE \d\.\d{4} over \d+ bins/);
    expect(typeof tiny.ece).toBe('number');
    for (const png of readdirSync(out).filter((f) => f.endsWith('.png'))) expect(markdown).toContain(`(${png})`);
    // The claims table: claims 1–3 for the all-varying experiment, each with a verdict and its rule, and the command.
    const claims = markdown.split('\n').filter((line) => line.startsWith('| ') && line.includes('| tiny-vary-all ('));
    expect(claims.map((line) => line.split(' | ')[0])).toEqual(['| 1. little distribution-wise variance', '| 2. independent errors explain the spread', '| 3. calibration forces the test-set variance']);
    for (const line of claims) expect(line).toMatch(/\| \*\*(reproduced|partly|not reproduced)\*\* \(reproduced: .+\) \|$/);
    expect(markdown).toContain(`Command: \`npm run variance -- report --store ${store} --out ${out}\``);
    for (const plot of ['tiny-vary-all-histogram', 'tiny-vary-all-split-half', 'calibration', 'std-vs-epochs']) {
      for (const ext of ['svg', 'png']) {
        const file = join(out, `${plot}.${ext}`);
        expect(existsSync(file)).toBe(true);
        expect(statSync(file).size).toBeGreaterThan(1000);
      }
    }
  });
});

describe('report on the flip ablation store', () => {
  it('reports the headline runs (one cell, seeds (s, s, s): vary all) as they are, and an experiment of several cells per cell', async () => {
    // A consistent copy of the committed store (SQLite's backup: a worker may be writing to it).
    const copy = join(work, 'flip-ablation.db');
    const Database = (await import('better-sqlite3')).default;
    const source = new Database(fileURLToPath(new URL('../../../results/flip-ablation.db', import.meta.url)), { readonly: true, fileMustExist: true });
    await source.backup(copy);
    source.close();
    const out = join(work, 'flip-report');
    const result = await variance(['report', '--store', `sqlite:${copy}`, '--experiment', 'full-airbench94-bf16,cpu-airbench94', '--out', out]);
    expect(result.result, result.text).toBe(0);
    expect(result.text).not.toMatch(/left out/);
    const [full, ...cells] = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).experiments;
    expect(full).toMatchObject({ experiment: 'full-airbench94-bf16', vary: 'all', epochs: 9.9, examples: 10_000 });
    expect(full.cell).toBeUndefined();
    // The flip ablation's 240 runs: 4 budgets × 3 flips, 20 seeds each.
    expect(cells.map((c: { experiment: string; runs: number }) => `${c.experiment}:${c.runs}`)).toEqual(
      [4, 8, 12, 16].flatMap((e) => ['none', 'random', 'alternating'].map((flip) => `cpu-airbench94-e${e}-${flip}:20`)),
    );
    expect(cells[0].cell).toEqual({ of: 'cpu-airbench94', flip: 'none' });
    expect(full.runs).toBeGreaterThanOrEqual(5);
    expect(full.meanAccuracy).toBeGreaterThan(0.93);
    // Claim 1's verdict follows its rule from the figures in report.json.
    const [, high] = full.distributionWiseCI.std;
    const verdict = high <= 0.5 * full.stdAccuracy ? 'reproduced' : full.distributionWiseStd <= 0.5 * full.stdAccuracy ? 'partly' : 'not reproduced';
    const row = readFileSync(join(out, 'report.md'), 'utf8').split('\n').find((line) => line.startsWith('| 1. little distribution-wise variance |') && line.includes('full-airbench94-bf16'));
    expect(row).toContain(`| ${full.runs} | σ_D `);
    expect(row).toContain(`| **${verdict}** (`);
    // Claim 4: the three flips of each budget in one row, shown, not judged; the other preliminary studies not run.
    const markdown = readFileSync(join(out, 'report.md'), 'utf8').split('\n');
    const augmentation = markdown.filter((line) => line.startsWith('| 4. augmentation and variance |'));
    expect(augmentation).toHaveLength(4);
    const sixteen = cells.filter((c: { epochs: number }) => c.epochs === 16);
    const at16 = augmentation.find((line) => line.includes('cpu-airbench94, 16 epochs'))!;
    for (const c of sixteen) expect(at16).toContain(`${c.cell.flip} ${(c.meanAccuracy * 100).toFixed(2)}%: std ${(c.stdAccuracy * 100).toFixed(3)}%`);
    expect(at16).toContain('| 60 |');
    expect(at16).toContain('| **not judged** (');
    expect(markdown.filter((line) => line.startsWith('| 4. learning rate, fine-tuning, distribution shift |') && line.includes('**not run**'))).toHaveLength(1);
    // The cells' own plot, linked from the report; the shared calibration plot keeps to the experiments themselves.
    expect(markdown).toContain('![augmentation](augmentation.png)');
    expect(readFileSync(join(out, 'calibration.svg'), 'utf8')).not.toContain('cpu-airbench94-e');
    // Claims 1–3 only for the experiment reported as itself, not per cell.
    expect(markdown.filter((line) => line.startsWith('| 1. little distribution-wise variance |'))).toHaveLength(1);
  });
});
