import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { CifarLoader, loadCifar10 } from '@airbench-ts/cifar-data';
import { disposeModel, evaluate } from '@airbench-ts/airbench-net';
import { loadModel } from '@airbench-ts/airbench-net/node';
import { main } from '../src/main';
import { parseOptions } from '../src/options';
import { completedRuns, resolveConfig, runKey } from '../src/results';

// The real CIFAR-10, found as the example finds it ($CIFAR10_DIR, the cache, a
// fetch; the run's data setup made sure it is there). A narrow airbench94 keeps
// these runs to seconds and well under a gigabyte.
const work = mkdtempSync(join(tmpdir(), 'airbench-example-'));
const tiny = ['--widths', '16,32,32', '--batch-size', '256'];
afterAll(() => rmSync(work, { recursive: true, force: true }));

function capture(stream: 'stdout' | 'stderr') {
  const chunks: string[] = [];
  const spy = vi.spyOn(process[stream], 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  return { text: () => chunks.join(''), restore: () => spy.mockRestore() };
}

describe('flags are checked before any work', () => {
  it.each([
    [['--variant', '97'], /--variant must be 94, 95, 96 or 96-legacy, not '97'/],
    [['--runs', '0'], /--runs must be a positive integer/],
    [['--save', ''], /--save must name a directory/],
    [['--epochs', '0'], /--epochs must be a positive number, not '0'/],
    [['--train-subset', '60000'], /--train-subset must be an integer in \[1, 50000\]/],
    [['--test-subset', '0'], /--test-subset must be an integer in \[1, 10000\]/],
    [['--tta', '3'], /--tta must be 0, 1 or 2/],
    [['--backend', 'tpu'], /--backend must be one of auto, node-gpu, node, wasm, cpu/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['--widths', '64,256'], /--widths must be three positive integers like 64,256,256, not '64,256'/],
    [['--batch-size', '0'], /--batch-size must be a positive integer/],
    [['--dataset', 'mnist'], /--dataset must be cifar10 or cifar100, not 'mnist'/],
    [['--precision', 'fp16'], /--precision must be fp32 or bf16, not 'fp16'/],
  ])('%j is refused with the usage', (argv, message) => {
    const err = capture('stderr');
    const result = parseOptions(argv);
    err.restore();
    expect(result).toEqual({ exit: 2 });
    expect(err.text()).toMatch(message);
    expect(err.text()).toMatch(/Usage: npm run airbench/);
  });

  it('accepts the documented flags', () => {
    expect(parseOptions(['--variant', '96-legacy', '--runs', '3', '--seed', '5', '--epochs', '2.5', '--train-subset', '10000', '--test-subset', '500', '--tta', '1', '--precision', 'bf16', '--json', ...tiny, '--dataset', 'cifar100'])).toEqual({
      variant: '96-legacy',
      dataset: 'cifar100',
      widths: [16, 32, 32],
      batchSize: 256,
      runs: 3,
      seed: 5,
      epochs: 2.5,
      trainSubset: 10000,
      testSubset: 500,
      tta: 1,
      precision: 'bf16',
      json: true,
    });
  });

  it('refuses a subset smaller than one batch before loading anything', async () => {
    const err = capture('stderr');
    const code = await main(['--train-subset', '100']);
    err.restore();
    expect(code).toBe(2);
    expect(err.text()).toMatch(/--train-subset 100 is smaller than one batch \(1024 images\)/);
  });
});

// In a child process, and before the in-process runs below, so that this file
// never holds two trainings' memory at once.
describe('Ctrl-C', () => {
  it('stops cleanly on Ctrl-C during the final evaluation: exit 130, the run not recorded', async () => {
    const out = join(work, 'interrupted.jsonl');
    const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@airbench-ts/source', cli, '--epochs', '0.5', '--train-subset', '1024', '--test-subset', '2500', '--tta', '2', '--out', out, ...tiny], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const interrupted = new Promise<number | null>((resolve) => {
      const watch = (chunk: Buffer) => {
        output += String(chunk);
        if (output.includes('final evaluation') && !child.killed) child.kill('SIGINT');
      };
      child.stdout.on('data', watch);
      child.stderr.on('data', watch);
      child.on('close', resolve);
    });
    expect(await interrupted).toBe(130);
    expect(output).toMatch(/interrupted; completed runs are kept in --out/);
    expect(output).not.toMatch(/\beval\b.*\|/); // no final row was printed
    expect(existsSync(out)).toBe(false);
  });
});

describe('a short run end to end, and resuming', () => {
  it('prints one JSON line per run, appends it to --out, and skips it when run again', async () => {
    const out = join(work, 'runs.jsonl');
    const saved = join(work, 'models');
    const argv = ['--epochs', '0.5', '--train-subset', '2048', '--test-subset', '1000', '--tta', '0', '--json', '--out', out, '--save', saved, ...tiny];
    const stdout = capture('stdout');
    const err = capture('stderr');
    expect(await main(argv)).toBe(0);
    stdout.restore();
    err.restore();
    const record = JSON.parse(stdout.text().trim().split('\n').pop()!);
    expect(record).toMatchObject({ variant: 'airbench94', seed: 0, epochs: 0.5, trainSubset: 2048, trainSize: 2048, testSize: 1000, tta: 0, widths: [16, 32, 32], batchSize: 256 });
    for (const key of ['ttaValAcc', 'valAcc', 'trainSeconds', 'evalSeconds', 'seconds']) expect(typeof record[key]).toBe('number');
    expect(record.ttaValAcc).toBeGreaterThanOrEqual(0);
    expect(record.ttaValAcc).toBeLessThanOrEqual(1);
    expect(err.text()).toMatch(/^backend: /m);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(1);
    // --save: the model on disk is the one that was evaluated (same test accuracy on the same 1,000 images, same config).
    const model = await loadModel(join(saved, 'seed-0'));
    const { test } = await loadCifar10({ progress: false });
    const evaluation = await evaluate(model, new CifarLoader(test, { batchSize: 500, subset: 1000 }), { tta: 0 });
    expect(evaluation.count).toBe(1000);
    expect(model.config.widths).toEqual([16, 32, 32]);
    expect(evaluation.accuracy).toBeCloseTo(record.ttaValAcc, 6);
    disposeModel(model);

    const again = capture('stdout');
    const err2 = capture('stderr');
    const started = performance.now();
    expect(await main(argv)).toBe(0);
    again.restore();
    err2.restore();
    // Marked as skipped, not re-emitted as if it had just run.
    expect(record.status).toBe('trained');
    expect(JSON.parse(again.text().trim().split('\n').pop()!)).toEqual({ ...record, status: 'skipped', reason: `already in ${out}` });
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(30_000);
  });

  it('says where to get CIFAR-100 when its files are not there', async () => {
    const empty = join(work, 'no-cifar100');
    mkdirSync(empty);
    const err = capture('stderr');
    const error = await main(['--dataset', 'cifar100', '--data-dir', empty, ...tiny]).catch((e: Error) => e);
    err.restore();
    expect(String(error)).toMatch(/CIFAR-100 from dataDir .*train\.bin is missing.*cifar-100-binary\.tar\.gz/);
  });

  it('keys old records (written before run keys) by the settings they were made with: precision, test subset and all', () => {
    const out = join(work, 'legacy.jsonl');
    // Written by earlier versions: no runKey; fp32 records have no precision field, full-test-set ones no testSize.
    const record = { variant: 'airbench94', seed: 0, epochs: 1, trainSubset: 2048, trainSize: 2048, tta: 0, backend: 'cpu', tensorflowVersion: null, ttaValAcc: 0.5 };
    writeFileSync(out, [record, { ...record, seed: 1, testSize: 500 }, { ...record, seed: 2, precision: 'bf16' }].map((r) => JSON.stringify(r)).join('\n') + '\n');
    const done = completedRuns(out);
    const identity = (seed: number, precision: 'fp32' | 'bf16', testSize: number) => ({
      config: resolveConfig({ variant: 'airbench94', dataset: 'cifar10', trainSize: 2048, precision, epochs: 1, tta: 0 }),
      dataset: 'cifar10' as const,
      trainSize: 2048,
      testSize,
      seed,
      backend: 'cpu',
      tensorflowVersion: null,
      numerics: '0.1',
    });
    expect(done.get(runKey(identity(0, 'fp32', 10_000)))?.seed).toBe(0);
    expect(done.get(runKey(identity(1, 'fp32', 500)))?.seed).toBe(1);
    expect(done.has(runKey(identity(1, 'fp32', 1000)))).toBe(false);
    expect(done.get(runKey(identity(2, 'bf16', 10_000)))?.seed).toBe(2);
    expect(done.has(runKey(identity(2, 'fp32', 10_000)))).toBe(false); // the bug of the hand-listed comparison
    expect(done.has(runKey({ ...identity(0, 'fp32', 10_000), numerics: '0.2' }))).toBe(false);
  });

  it('names a damaged --out line instead of guessing', () => {
    const out = join(work, 'bad.jsonl');
    writeFileSync(out, '{"variant":"airbench94"}\nnot json\n');
    expect(() => completedRuns(out)).toThrow(/bad\.jsonl:2 is not a JSON run record/);
  });
});
