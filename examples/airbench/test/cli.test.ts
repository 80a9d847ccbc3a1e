import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
const tiny = ['--widths', '8,16,16', '--batch-size', '256'];
afterAll(() => rmSync(work, { recursive: true, force: true }));
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

function capture(stream: 'stdout' | 'stderr') {
  const chunks: string[] = [];
  const spy = vi.spyOn(process[stream], 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  return { text: () => chunks.join(''), restore: () => spy.mockRestore() };
}

const run = ['--widths', '8,16,16', '--batch-size', '256', '--train-subset', '1024', '--epochs', '2', '--test-subset', '500', '--tta', '0', '--seed', '4', '--precision', 'fp32', '--json'];
// The uninterrupted run's --out (its per-epoch losses, for the oneDNN comparison below).
const referenceOut = join(work, 'reference.jsonl');
// Whether the environment chose oneDNN's state itself (then the reference run is not the oneDNN-on run).
const userOneDnn = process.env.TF_ENABLE_ONEDNN_OPTS;

interface Child {
  code: Promise<number | null>;
  kill: () => void;
  output: () => string;
}

function start(argv: string[], env: Record<string, string> = {}, onOutput?: (text: string, child: Child) => void): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', '--conditions=@airbench-ts/source', cli, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let text = '';
  const child: Child = {
    code: new Promise((resolve) => proc.on('close', (code, signal) => resolve(signal === 'SIGKILL' ? 137 : code))),
    kill: () => proc.kill('SIGKILL'),
    output: () => text,
  };
  const watch = (chunk: Buffer) => {
    text += String(chunk);
    onOutput?.(text, child);
  };
  proc.stdout.on('data', watch);
  proc.stderr.on('data', watch);
  return child;
}

const lastRecord = (text: string) => JSON.parse(text.trim().split('\n').filter((l) => l.startsWith('{')).pop()!) as Record<string, unknown>;

function captureBoth() {
  const chunks: string[] = [];
  const spies = (['stdout', 'stderr'] as const).map((stream) =>
    vi.spyOn(process[stream], 'write').mockImplementation((chunk: string | Uint8Array) => {
      chunks.push(String(chunk));
      return true;
    }),
  );
  return { text: () => chunks.join(''), restore: () => spies.forEach((s) => s.mockRestore()) };
}

async function inProcess(argv: string[]): Promise<{ code: number; text: string }> {
  const out = captureBoth();
  try {
    const code = await main(argv);
    return { code, text: out.text() };
  } finally {
    out.restore();
  }
}

describe('flags are checked before any work', () => {
  it.each([
    [['--variant', '97'], /--variant must be 94, 95, 96, 96-legacy or 94-muon, not '97'/],
    [['--runs', '0'], /--runs must be a positive integer/],
    [['--save', ''], /--save must name a directory/],
    [['--epochs', '0'], /--epochs must be a positive number, not '0'/],
    [['--train-subset', '60000'], /--train-subset must be an integer in \[1, 50000\]/],
    [['--test-subset', '0'], /--test-subset must be an integer in \[1, 10000\]/],
    [['--tta', '3'], /--tta must be 0, 1 or 2/],
    [['--backend', 'tpu'], /--backend must be auto, node-gpu, node, wasm or cpu, not 'tpu'/],
    [['--bogus'], /unknown option '--bogus'/],
    [['--widths', '64,256'], /--widths must be three positive integers like 64,256,256, not '64,256'/],
    [['--batch-size', '0'], /--batch-size must be a positive integer/],
    [['--dataset', 'mnist'], /--dataset must be cifar10 or cifar100, not 'mnist'/],
    [['--precision', 'fp16'], /--precision must be auto, fp32 or bf16, not 'fp16'/],
    [['--checkpoint-every', '0'], /--checkpoint-every must be a positive number of epochs \(e\.g\. 1\), of steps \(e\.g\. 50steps\), or off, not '0'/],
    [['--checkpoint-every', '5minutes'], /--checkpoint-every must be/],
    [['--checkpoint-dir', ''], /--checkpoint-dir must name a directory/],
  ])('%j is refused with the usage', (argv, message) => {
    const err = capture('stderr');
    const result = parseOptions(argv);
    err.restore();
    expect(result).toEqual({ exit: 2 });
    expect(err.text()).toMatch(message);
    expect(err.text()).toMatch(/See 'npm run airbench -- --help' for every option\./);
  });

  it('accepts the documented flags', () => {
    expect(parseOptions(['--variant', '96-legacy', '--runs', '3', '--seed', '5', '--epochs', '2.5', '--train-subset', '10000', '--test-subset', '500', '--tta', '1', '--precision', 'bf16', '--json', ...tiny, '--dataset', 'cifar100'])).toEqual({
      variant: '96-legacy',
      dataset: 'cifar100',
      widths: [8, 16, 16],
      batchSize: 256,
      runs: 3,
      seed: 5,
      epochs: 2.5,
      trainSubset: 10000,
      testSubset: 500,
      tta: 1,
      precision: 'bf16',
      checkpointEvery: { epochs: 1 },
      keepCheckpoints: false,
      json: true,
    });
    expect(parseOptions(['--checkpoint-every', '50steps', '--checkpoint-dir', 'ck', '--keep-checkpoints'])).toMatchObject({ precision: 'auto', checkpointEvery: { steps: 50 }, checkpointDir: 'ck', keepCheckpoints: true });
    expect(parseOptions(['--checkpoint-every', 'off'])).toMatchObject({ checkpointEvery: null });
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
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@airbench-ts/source', cli, '--epochs', '0.5', '--train-subset', '1024', '--test-subset', '1500', '--tta', '2', '--out', out, ...tiny], {
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

// ---------------------------------------------------------------------------
// Checkpoints of real runs in real processes: a narrow airbench94 on 1,024 real
// training images, 4 batches an epoch, 2 epochs (8 steps), a checkpoint after
// every step, so that kills land mid-epoch and mid-write. Child processes run
// before this file's in-process trainings: the test process (vitest runs this
// project's files in one fork) then never holds a training's memory while a
// child trains.
// ---------------------------------------------------------------------------
let resumed: Record<string, unknown>;
const oneDnnOffOut = join(work, 'onednn-off.jsonl');

describe('in child processes: kill -9, and oneDNN and native ops off', () => {
  it('killed during a checkpoint write, then mid-epoch, then run to the end: the same weights, bit for bit', async () => {
    const out = join(work, 'killed', 'runs.jsonl');
    const argv = [...run, '--checkpoint-every', '1steps', '--out', out];
    const checkpoints = () => {
      const root = join(work, 'killed', 'checkpoints');
      return existsSync(root) ? readdirSync(root).flatMap((d) => readdirSync(join(root, d)).map((f) => join(root, d, f))) : [];
    };

    // 1. Stalled half-way through writing the checkpoint of step 3: killed there.
    const first = start(argv, { AIRBENCH_TEST_STALL_CHECKPOINT: 'step-000003.ckpt' }, (text, child) => {
      if (/checkpoint: writing .*step-000003\.ckpt/.test(text)) child.kill();
    });
    const firstCode = await first.code;
    expect(firstCode, first.output()).toBe(137);
    expect(checkpoints().filter((f) => f.endsWith('.tmp'))).toHaveLength(1); // half a file on disk
    expect(checkpoints().filter((f) => f.endsWith('.ckpt')).map((f) => f.slice(-16))).toEqual(['step-000001.ckpt', 'step-000002.ckpt']);

    // 2. Resumes from step 2; killed mid-epoch 1, once step 5 (epoch 1, batch 1) is on disk.
    const second = start(argv);
    const poll = setInterval(() => checkpoints().some((f) => f.endsWith('step-000005.ckpt')) && second.kill(), 5);
    const secondCode = await second.code;
    clearInterval(poll);
    expect(secondCode, second.output()).toBe(137);
    expect(second.output()).toMatch(/resuming from .*step-000002\.ckpt \(step 2 of 8, epoch 0\)/);
    expect(checkpoints().filter((f) => f.endsWith('.tmp'))).toHaveLength(0); // the stray half-file was removed

    // 3. To the end.
    const third = start(argv);
    expect(await third.code).toBe(0);
    const record = lastRecord(third.output());
    expect((record.resumedFrom as { step: number }).step).toBeGreaterThanOrEqual(5);
    resumed = record;
    // Recorded once; its checkpoints removed.
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(checkpoints()).toEqual([]);
  });

  it.skipIf(userOneDnn !== undefined)('oneDNN off (TF_ENABLE_ONEDNN_OPTS=0) and no native ops (AIRBENCH_NATIVE_OPS=0): the run says so and trains', async () => {
    // Every fallback at once: TensorFlow's Eigen kernels, tfjs ops for GELU, TensorFlow's MaxPoolGrad.
    // glibc keeps the Eigen kernels' freed buffers in its heap (this run peaked at 1.42 GB resident, the suite's
    // largest process, 2026-12-07); a fixed 1 MB mmap threshold returns them: 1.04 GB, a second slower.
    const child = start([...run, '--checkpoint-every', 'off', '--out', oneDnnOffOut], { TF_ENABLE_ONEDNN_OPTS: '0', AIRBENCH_NATIVE_OPS: '0', MALLOC_MMAP_THRESHOLD_: '1048576' });
    expect(await child.code, child.output()).toBe(0);
    expect(child.output()).toMatch(/backend: tensorflow .*; oneDNN off \(TF_ENABLE_ONEDNN_OPTS\); native ops off: AIRBENCH_NATIVE_OPS=0; signal guard (on|off: [^;]+); CPU /);
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
    expect(record).toMatchObject({ variant: 'airbench94', seed: 0, epochs: 0.5, trainSubset: 2048, trainSize: 2048, testSize: 1000, tta: 0, widths: [8, 16, 16], batchSize: 256 });
    for (const key of ['ttaValAcc', 'valAcc', 'trainSeconds', 'evalSeconds', 'seconds']) expect(typeof record[key]).toBe('number');
    expect(record.ttaValAcc).toBeGreaterThanOrEqual(0);
    expect(record.ttaValAcc).toBeLessThanOrEqual(1);
    expect(err.text()).toMatch(/^backend: /m);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(1);
    // The per-epoch curves beside --out, as every example writes its plots: SVG and PNG.
    expect(readFileSync(join(work, 'runs.svg'), 'utf8')).toMatch(/^<svg/);
    expect(readFileSync(join(work, 'runs.png')).subarray(1, 4).toString()).toBe('PNG');
    // --save: the model on disk is the one that was evaluated (same test accuracy on the same 1,000 images, same config).
    const model = await loadModel(join(saved, 'seed-0'));
    const { test } = await loadCifar10({ progress: false });
    const evaluation = await evaluate(model, new CifarLoader(test, { batchSize: 500, subset: 1000 }), { tta: 0 });
    expect(evaluation.count).toBe(1000);
    expect(model.config.widths).toEqual([8, 16, 16]);
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

describe('in this process: the same run never stopped, damaged checkpoints, run keys', () => {
  let reference: Record<string, unknown>;

  it('ends exactly as a run that was never stopped (in this process; checkpoints kept for the tests below)', async () => {
    const dir = join(work, 'reference-checkpoints');
    const { code, text } = await inProcess([...run, '--checkpoint-every', '1steps', '--checkpoint-dir', dir, '--keep-checkpoints', '--out', referenceOut]);
    expect(code).toBe(0);
    reference = lastRecord(text);
    expect(reference).toMatchObject({ status: 'trained', seed: 4 });
    expect(reference.resumedFrom).toBeUndefined();
    expect(reference.weightsSha256).toMatch(/^[0-9a-f]{64}$/);
    // The run killed twice above ends with the same network, bit for bit.
    expect(resumed.weightsSha256).toBe(reference.weightsSha256);
    expect(resumed.ttaValAcc).toBe(reference.ttaValAcc);
  });

  it.skipIf(userOneDnn !== undefined)('oneDNN and native ops on (the defaults, this process) and both off give the same losses within float tolerance', () => {
    const losses = (file: string) => (JSON.parse(readFileSync(file, 'utf8').trim()) as { history: { trainLoss: number }[] }).history.map((h) => h.trainLoss);
    const [on, off] = [losses(referenceOut), losses(oneDnnOffOut)];
    expect(off).toHaveLength(2);
    // Other kernels, other summation orders (Eigen's instead of oneDNN's): measured 1.8e-6 and 1.1e-6 relative.
    off.forEach((loss, epoch) => expect(Math.abs(loss - on[epoch]!) / on[epoch]!).toBeLessThan(1e-4));
  });
});

describe('damaged checkpoints', () => {
  it('skips a truncated newest checkpoint and one with a flipped byte, with a warning naming it, and resumes from the one before', async () => {
    const dir = join(work, 'reference-checkpoints');
    const [runDir] = readdirSync(dir);
    const newest = join(dir, runDir!, 'step-000008.ckpt');
    const argv = [...run, '--checkpoint-every', '1steps', '--checkpoint-dir', dir, '--keep-checkpoints'];
    const reference = lastRecord((await inProcess(argv)).text); // resumes from the final state: no step left
    expect(reference.resumedFrom).toEqual({ step: 8, epoch: 2, batch: 0 });

    const bytes = readFileSync(newest);
    writeFileSync(newest, bytes.subarray(0, bytes.length - 100));
    const truncated = await inProcess(argv);
    expect(truncated.text).toMatch(/warning: .*step-000008\.ckpt: its SHA-256 does not match its contents .* It is kept as .*step-000008\.ckpt\.damaged/);
    expect(lastRecord(truncated.text)).toMatchObject({ resumedFrom: { step: 7 }, weightsSha256: reference.weightsSha256 });

    const again = readFileSync(newest); // written anew by that run
    again[Math.floor(again.length / 2)]! ^= 0x04;
    writeFileSync(newest, again);
    const flipped = await inProcess(argv);
    expect(flipped.text).toMatch(/warning: .*step-000008\.ckpt: its SHA-256 does not match/);
    expect(lastRecord(flipped.text)).toMatchObject({ resumedFrom: { step: 7 }, weightsSha256: reference.weightsSha256 });
  });
});

describe('--out keys runs by their whole config', () => {
  it('an fp32 and a bf16 run of the same seed into one file: both train, both are kept', async () => {
    const out = join(work, 'precisions.jsonl');
    // One step each (the key is what is tested; bf16 is emulated, ~10x slower, on CPUs without AVX-512).
    const argv = [...run, '--epochs', '1', '--batch-size', '128', '--train-subset', '128', '--test-subset', '100', '--out', out, '--checkpoint-every', 'off'];
    const fp32 = lastRecord((await inProcess([...argv, '--precision', 'fp32'])).text);
    const bf16 = lastRecord((await inProcess([...argv, '--precision', 'bf16'])).text);
    expect(fp32).toMatchObject({ status: 'trained' });
    expect(bf16).toMatchObject({ status: 'trained', precision: 'bf16' });
    expect(bf16.runKey).not.toBe(fp32.runKey);
    expect(readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l).precision ?? 'fp32')).toEqual(['fp32', 'bf16']);
    const skipped = lastRecord((await inProcess([...argv, '--precision', 'bf16'])).text);
    expect(skipped).toMatchObject({ status: 'skipped', runKey: bf16.runKey });
  });
});

