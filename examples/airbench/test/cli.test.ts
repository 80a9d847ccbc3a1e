import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/main';
import { parseOptions } from '../src/options';
import { completedRuns } from '../src/results';

const work = mkdtempSync(join(tmpdir(), 'airbench-example-'));
// The real CIFAR-10: $CIFAR10_DIR, else the shared copy beside the repository, else the loader's own chain.
const shared = fileURLToPath(new URL('../../../../shared/cifar10/cifar-10-batches-bin', import.meta.url));
const dataDir = process.env.CIFAR10_DIR ?? (existsSync(shared) ? shared : undefined);
const dataFlag = dataDir ? ['--data-dir', dataDir] : [];
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
    [['--epochs', '0'], /--epochs must be a positive number, not '0'/],
    [['--train-subset', '60000'], /--train-subset must be an integer in \[1, 50000\]/],
    [['--tta', '3'], /--tta must be 0, 1 or 2/],
    [['--backend', 'tpu'], /--backend must be one of auto, node-gpu, node, wasm, cpu/],
    [['--bogus'], /Unknown option '--bogus'/],
  ])('%j is refused with the usage', (argv, message) => {
    const err = capture('stderr');
    const result = parseOptions(argv);
    err.restore();
    expect(result).toEqual({ exit: 2 });
    expect(err.text()).toMatch(message);
    expect(err.text()).toMatch(/Usage: npm run airbench/);
  });

  it('accepts the documented flags', () => {
    expect(parseOptions(['--variant', '96-legacy', '--runs', '3', '--seed', '5', '--epochs', '2.5', '--train-subset', '10000', '--tta', '1', '--json'])).toEqual({
      variant: '96-legacy',
      runs: 3,
      seed: 5,
      epochs: 2.5,
      trainSubset: 10000,
      tta: 1,
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

describe('a short run end to end, and resuming', () => {
  it('prints one JSON line per run, appends it to --out, and skips it when run again', async () => {
    const out = join(work, 'runs.jsonl');
    const argv = ['--epochs', '0.5', '--train-subset', '2048', '--tta', '0', '--json', '--out', out, ...dataFlag];
    const stdout = capture('stdout');
    const err = capture('stderr');
    expect(await main(argv)).toBe(0);
    stdout.restore();
    err.restore();
    const record = JSON.parse(stdout.text().trim().split('\n').pop()!);
    expect(record).toMatchObject({ variant: 'airbench94', seed: 0, epochs: 0.5, trainSubset: 2048, trainSize: 2048, tta: 0 });
    for (const key of ['ttaValAcc', 'valAcc', 'trainSeconds', 'evalSeconds', 'seconds']) expect(typeof record[key]).toBe('number');
    expect(record.ttaValAcc).toBeGreaterThanOrEqual(0);
    expect(record.ttaValAcc).toBeLessThanOrEqual(1);
    expect(err.text()).toMatch(/^backend: /m);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(1);

    const again = capture('stdout');
    const err2 = capture('stderr');
    const started = performance.now();
    expect(await main(argv)).toBe(0);
    again.restore();
    err2.restore();
    expect(JSON.parse(again.text().trim().split('\n').pop()!)).toEqual(record);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(30_000);
  });

  it('names a damaged --out line instead of guessing', () => {
    const out = join(work, 'bad.jsonl');
    writeFileSync(out, '{"variant":"airbench94"}\nnot json\n');
    expect(() => completedRuns(out, { variant: 'airbench94', epochs: 1, trainSize: 1, tta: 0, backend: 'cpu' })).toThrow(/bad\.jsonl:2 is not a JSON run record/);
  });
});
