import { spawn, spawnSync } from 'node:child_process';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEndpoint, lockEndpoint, removeIfUnchanged, saveEndpoint } from '../src/cache';
import { parseOptions } from '../src/options';
import { barrierReductions } from '../src/study';
import { captureStderr } from '@airbench-ts-example/cli';

const out = mkdtempSync(join(tmpdir(), 'repair-example-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

describe('flags are refused before any work', () => {
  it.each([
    [['--model', 'resnet50'], /--model must be mlp, vgg11, resnet20 or airbench94, not 'resnet50'/],
    [['--model', 'vgg11', '--norm', 'batch'], /--norm for vgg11 must be none/],
    [['--model', 'resnet20', '--norm', 'none'], /--norm for resnet20 must be batch or layer/],
    [['--alphas', '4'], /--alphas must be odd/],
    [['--width', '0.5'], /--width must be a positive integer \(hidden units\)/],
    [['--model', 'vgg11', '--depth', '3'], /--depth is for --model mlp only/],
    [['--align', 'random'], /--align must be activations, weights, or both comma-separated/],
    [['--align', 'weights,weights'], /--align names 'weights' twice/],
    [['--epochs', '0'], /--epochs must be a positive number/],
    [['--epochs', '1001'], /--epochs must be at most 1000/],
    [['train'], /too many arguments/],
  ])('%j', (argv, message) => {
    const { result, text } = captureStderr(() => parseOptions(argv));
    expect(result).toEqual({ exit: 2 });
    expect(text).toMatch(message);
    expect(text).toMatch(/See 'npm run repair -- --help' for every option\./);
  });
});

describe('the relative barrier reduction', () => {
  const method = (accuracyBarrier: number, lossBarrier: number) => ({ method: 'permuted', curve: { alphas: [], accuracy: [], loss: [] }, midpoint: { accuracy: 0, loss: 0 }, accuracyBarrier, lossBarrier }) as Parameters<typeof barrierReductions>[0];
  it('is given where the permuted barrier is clear of noise', () => {
    expect(barrierReductions(method(0.2, 0.5), method(0.05, 0.1), 0.6, 10_000)).toEqual({ accuracy: 0.75, loss: 0.8, notes: [] });
  });
  it('is not given, and says why, for a barrier within noise or negative (no "−400%")', () => {
    // 2 standard errors of a 60% accuracy on 1,000 images: 3.1 pp; a 0.5 pp barrier is noise.
    const { accuracy, loss, notes } = barrierReductions(method(0.005, -0.02), method(0.025, 0.01), 0.6, 1000);
    expect([accuracy, loss]).toEqual([null, null]);
    expect(notes[0]).toMatch(/accuracy: the permuted barrier, 0\.50 pp, is not clear of noise \(2 standard errors of an accuracy on 1000 test images: 3\.10 pp\)/);
    expect(notes[1]).toMatch(/loss: the permuted barrier, -0\.020, is not above 0\.01/);
  });
});

// One tiny real run, as a user runs it: a child process, real CIFAR-10 (2,000
// training images), an MLP of 6 × 64 trained for 4 epochs, aligned, interpolated, repaired.
describe('a tiny MLP end to end', () => {
  const args = ['--model', 'mlp', '--depth', '6', '--width', '64', '--epochs', '4', '--train-subset', '5000', '--test-subset', '1000', '--stat-images', '1000', '--alphas', '3', '--align', 'activations,weights', '--out', out, '--json'];
  const run = (extra: string[] = []) => {
    const started = performance.now();
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=@airbench-ts/source', cli, ...args, ...extra], { encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } });
    return { ...result, seconds: (performance.now() - started) / 1000 };
  };
  let first: ReturnType<typeof run>;

  it('prints one JSON line per method and a summary per alignment; REPAIR brings the midpoint back toward the endpoints', () => {
    first = run();
    expect(first.status, first.stderr).toBe(0);
    const all = first.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const methods = ['naive', 'permuted', 'permuted+REPAIR', 'permuted+closedForm', 'summary'];
    expect(all.map((l) => `${l.align} ${l.method ?? 'summary'}`)).toEqual(['activations', 'weights'].flatMap((align) => methods.map((m) => `${align} ${m}`)));
    const lines = all.slice(0, 5);
    for (const l of lines.slice(0, 4)) expect(l).toEqual(expect.objectContaining({ model: 'mlp 6×64', accuracy: expect.any(Number), loss: expect.any(Number), accuracyBarrier: expect.any(Number), lossBarrier: expect.any(Number) }));
    const [naive, permuted, repaired] = lines;
    const summary = lines.at(-1);
    // Both studies use the same endpoints, scored once; the un-aligned (naive) interpolation is the same network.
    const byWeights = all.slice(5);
    expect(byWeights.at(-1).endpointAccuracy).toEqual(summary.endpointAccuracy);
    expect(byWeights[0]).toEqual({ ...naive, align: 'weights' });
    expect(byWeights.at(-1).maxAbsDifference).toBeLessThan(1e-4);
    expect(summary.endpointAccuracy.every((a: number) => a > 0.2)).toBe(true);
    // Permuting B kept its function, to float32 noise.
    expect(summary.maxAbsDifference).toBeLessThan(1e-4);
    // Alignment lowers the loss barrier, REPAIR lowers it further.
    expect(permuted.lossBarrier).toBeLessThan(naive.lossBarrier);
    expect(repaired.lossBarrier).toBeLessThan(permuted.lossBarrier);
    expect(summary.barrierReduction).toBeCloseTo(1 - repaired.lossBarrier / permuted.lossBarrier, 10);
    const files = readdirSync(out);
    for (const align of ['activations', 'weights']) for (const suffix of ['.json', '-curves.svg', '-curves.png', '-variance.svg', '-variance.png']) expect(files.some((f) => f.endsWith(`${align}-seed0${suffix}`))).toBe(true);
    expect(readdirSync(join(out, 'endpoints')).filter((f) => f.endsWith('.bin'))).toHaveLength(2);
  });

  it('reuses the cached endpoints when the same command runs again: no training, the same numbers', () => {
    // One alignment this time (the endpoints are what is reused; a study is seconds of the suite's budget).
    const again = run(['--align', 'activations']);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/endpoint A \(seed 0\) from /);
    expect(again.stderr).not.toMatch(/train A/);
    expect(again.stdout.trim().split('\n')).toEqual(first.stdout.trim().split('\n').slice(0, 5));
  });

  it('summarises the pairs of --out: the same seed twice is one pair per alignment, with the run\'s own reduction', () => {
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    const reduction = JSON.parse(first.stdout.trim().split('\n')[4]!).barrierReduction; // activations' summary line
    expect(summary.map((g: { align: string }) => g.align)).toEqual(['activations', 'weights']);
    expect(summary[0]).toEqual(expect.objectContaining({ label: 'mlp 6×64', align: 'activations', seeds: [0] }));
    expect(summary[0].reduction.loss).toEqual({ n: 1, mean: reduction, std: null, ci: null, min: reduction, max: reduction });
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain(`| mlp 6×64 (activations) | 4 | 1 (seeds 0) |`);
  });
});

describe('the endpoint cache', () => {
  it('gives back what it saved, and nothing for a damaged or missing file (so it is trained again)', async () => {
    const dir = join(out, 'cache-test');
    const weights = { 'fc1.weight': tf.tensor2d([[1, 2], [3, 4]]), 'fc1.bias': tf.tensor1d([0.5, -0.5]) };
    await saveEndpoint(dir, 'e', { seed: 0 }, weights);
    const back = loadEndpoint(dir, 'e')!;
    expect(Array.from(back['fc1.weight']!.dataSync())).toEqual([1, 2, 3, 4]);
    expect(Array.from(back['fc1.bias']!.dataSync())).toEqual([0.5, -0.5]);
    const bin = join(dir, 'e.bin');
    writeFileSync(bin, readFileSync(bin).subarray(0, 10));
    expect(loadEndpoint(dir, 'e')).toBeNull();
    rmSync(bin);
    expect(loadEndpoint(dir, 'e')).toBeNull();
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    tf.dispose([...Object.values(weights), ...Object.values(back)]);
  });
});

describe('the endpoint lock', () => {
  it('refuses an endpoint another live process trains, naming it; takes it over once that process is killed with kill -9', async () => {
    const dir = join(out, 'lock-test');
    const cache = fileURLToPath(new URL('../src/cache.ts', import.meta.url));
    // A real second process takes the lock, says so, and waits (as a training would, for hours).
    const holder = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `const { lockEndpoint } = await import(${JSON.stringify(cache)}); lockEndpoint(${JSON.stringify(dir)}, 'e'); console.log('locked'); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (chunk) => String(chunk).includes('locked') && resolve());
        holder.on('exit', (code) => reject(new Error(`the lock holder exited (${code})`)));
      });
      expect(() => lockEndpoint(dir, 'e')).toThrow(new RegExp(`endpoint e is being trained by process ${holder.pid} on .* \\(lock .*e\\.lock\\)\\. Wait for that command to finish`));
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
    } finally {
      holder.kill('SIGKILL');
    }
    // Its lock is still there, naming a process that is gone: taken over.
    expect(JSON.parse(readFileSync(join(dir, 'e.lock'), 'utf8')).pid).toBe(holder.pid);
    const release = lockEndpoint(dir, 'e');
    expect(JSON.parse(readFileSync(join(dir, 'e.lock'), 'utf8')).pid).toBe(process.pid);
    expect(() => lockEndpoint(dir, 'f')).not.toThrow(); // another endpoint's lock is another file
    release();
    expect(existsSync(join(dir, 'e.lock'))).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['f.lock']);
  });

  it('of two commands taking over one stale lock, the second does not remove the first one\'s new lock', () => {
    const dir = join(out, 'takeover-test');
    const lock = join(dir, 'e.lock');
    const me = join(dir, 'me.tmp');
    mkdirSync(dir, { recursive: true });
    writeFileSync(me, 'x');
    // Both read the same stale lock (a dead pid); the first removes it and links its own.
    const stale = JSON.stringify({ pid: 2 ** 22 + 1, host: 'h', boot: null });
    writeFileSync(lock, stale);
    expect(removeIfUnchanged(lock, stale, me)).toBe(true);
    expect(existsSync(lock)).toBe(false);
    const first = lockEndpoint(dir, 'e');
    const fresh = readFileSync(lock, 'utf8');
    // The second, deciding on what it read before, must leave the new lock alone; and no .break is left behind.
    expect(removeIfUnchanged(lock, stale, me)).toBe(false);
    expect(readFileSync(lock, 'utf8')).toBe(fresh);
    expect(readdirSync(dir).sort()).toEqual(['e.lock', 'me.tmp']);
    // A .break left by a process that died while deciding is taken over after a second.
    writeFileSync(`${lock}.break`, 'x');
    const started = performance.now();
    expect(removeIfUnchanged(lock, fresh, me)).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    expect(readdirSync(dir).sort()).toEqual(['me.tmp']);
    first();
  });
});
