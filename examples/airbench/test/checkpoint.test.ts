import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/main';

// Checkpoints of real runs in real processes: a narrow airbench94 on 1,024 real
// training images, 4 batches an epoch, 2 epochs (8 steps), a checkpoint after
// every step, so that kills can land mid-epoch and mid-write.
const work = mkdtempSync(join(tmpdir(), 'airbench-checkpoints-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const run = ['--widths', '16,32,32', '--batch-size', '256', '--train-subset', '1024', '--epochs', '2', '--test-subset', '500', '--tta', '0', '--seed', '4', '--json'];

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

function capture() {
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
  const out = capture();
  try {
    const code = await main(argv);
    return { code, text: out.text() };
  } finally {
    out.restore();
  }
}

describe('a run killed -9 resumes from its checkpoint and ends as if never stopped', () => {
  let reference: Record<string, unknown>;

  it('an uninterrupted run, for reference (checkpoints kept)', async () => {
    const dir = join(work, 'reference-checkpoints');
    const { code, text } = await inProcess([...run, '--checkpoint-every', '1steps', '--checkpoint-dir', dir, '--keep-checkpoints']);
    expect(code).toBe(0);
    reference = lastRecord(text);
    expect(reference).toMatchObject({ status: 'trained', seed: 4 });
    expect(reference.resumedFrom).toBeUndefined();
    expect(reference.weightsSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('killed during a checkpoint write, then mid-epoch, then run to the end: the same weights, bit for bit', async () => {
    const out = join(work, 'killed.jsonl');
    const argv = [...run, '--checkpoint-every', '1steps', '--out', out];
    const checkpoints = () => {
      const root = join(work, 'checkpoints');
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
    expect(record.weightsSha256).toBe(reference.weightsSha256);
    expect(record.ttaValAcc).toBe(reference.ttaValAcc);
    // Recorded once; its checkpoints removed.
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(checkpoints()).toEqual([]);
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
    const argv = [...run, '--epochs', '1', '--out', out, '--checkpoint-every', 'off'];
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
