import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EpochRecord } from '@airbench-ts/airbench-net';

/** One finished run, as printed with --json and kept in --out. */
export interface RunRecord {
  variant: string;
  /** 'cifar100' when trained on CIFAR-100; absent for CIFAR-10 (older records). */
  dataset?: 'cifar10' | 'cifar100';
  /** Widths and batch size when overridden (--widths, --batch-size); absent for the variant's own. */
  widths?: readonly [number, number, number];
  batchSize?: number;
  /** 'bf16' when trained with --precision bf16; absent for fp32. */
  precision?: 'bf16';
  seed: number;
  epochs: number;
  trainSubset: number | null;
  trainSize: number;
  /** Test images evaluated when --test-subset cut them; absent for the whole test set. */
  testSize?: number;
  tta: number;
  ttaValAcc: number;
  valAcc: number;
  /** Whitening init + training. */
  trainSeconds: number;
  /** The final TTA evaluation. */
  evalSeconds: number;
  /** airbench's time: trainSeconds + evalSeconds. */
  seconds: number;
  backend: string;
  tensorflowVersion: string | null;
  /** Per-epoch records (train_loss, train_acc, val_acc, seconds), for the curves. */
  history?: EpochRecord[];
}

export type RunKey = Pick<RunRecord, 'variant' | 'dataset' | 'widths' | 'batchSize' | 'epochs' | 'trainSize' | 'testSize' | 'tta' | 'backend'>;

// A field a record leaves out means the default, so older files still resume.
const sameKey = (a: RunKey, b: RunKey) =>
  a.variant === b.variant &&
  (a.dataset ?? 'cifar10') === (b.dataset ?? 'cifar10') &&
  String(a.widths ?? '') === String(b.widths ?? '') &&
  (a.batchSize ?? null) === (b.batchSize ?? null) &&
  a.epochs === b.epochs &&
  a.trainSize === b.trainSize &&
  (a.testSize ?? null) === (b.testSize ?? null) &&
  a.tta === b.tta &&
  a.backend === b.backend;

/** Runs of the same setting already in `file`, by seed: what a resumed command skips. */
export function completedRuns(file: string, key: RunKey): Map<number, RunRecord> {
  const done = new Map<number, RunRecord>();
  if (!existsSync(file)) return done;
  for (const [i, line] of readFileSync(file, 'utf8').split('\n').entries()) {
    if (!line.trim()) continue;
    try {
      const record = JSON.parse(line) as RunRecord;
      if (sameKey(record, key)) done.set(record.seed, record);
    } catch {
      throw new Error(`${file}:${i + 1} is not a JSON run record; fix or remove that line (a run interrupted while writing leaves at most a partial last line).`);
    }
  }
  return done;
}

/** Appends one run as a JSON line (a single write, so a line is whole or absent). */
export function appendRun(file: string, record: RunRecord): void {
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify(record)}\n`);
}
