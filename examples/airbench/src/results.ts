import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { CONFIGS, makeConfig, type AirbenchConfig, type EpochRecord, type Precision, type VariantName } from '@airbench-ts/airbench-net';

/** One finished run, as printed with --json and kept in --out. */
export interface RunRecord {
  /** The hash of everything that decides the run's result (see runKey); absent in records written before it existed. */
  runKey?: string;
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
  /** Whitening init + training (of every part, when the run was resumed). */
  trainSeconds: number;
  /** The final TTA evaluation. */
  evalSeconds: number;
  /** airbench's time: trainSeconds + evalSeconds. */
  seconds: number;
  /** Writing checkpoints (not part of `seconds`). */
  checkpointSeconds?: number;
  /** Where an interrupted run resumed: the checkpoint's step, epoch and batch. Absent for a run trained in one go. */
  resumedFrom?: { step: number; epoch: number; batch: number };
  /** SHA-256 of the final weights (tfjs's weight encoding, as --save writes them): equal for a resumed and an uninterrupted run. */
  weightsSha256?: string;
  backend: string;
  tensorflowVersion: string | null;
  /** Per-epoch records (train_loss, train_acc, val_acc, seconds), for the curves. */
  history?: EpochRecord[];
}

/** Everything that decides a run's result. Hashed as a whole, so a new setting can never be left out of the comparison. */
export interface RunIdentity {
  /** The fully resolved config: variant, widths, epochs, TTA, precision, every hyperparameter. */
  config: AirbenchConfig;
  dataset: 'cifar10' | 'cifar100';
  /** The first N training images, and the first M test images evaluated. */
  trainSize: number;
  testSize: number;
  seed: number;
  backend: string;
  tensorflowVersion: string | null;
  /** airbench-net's major.minor: a 0.x minor release may change the numerics, a patch never does. */
  numerics: string;
}

/** The config of a run, resolved as `npm run airbench` resolves its flags. */
export function resolveConfig(setting: {
  variant: VariantName;
  dataset: 'cifar10' | 'cifar100';
  trainSize: number;
  precision: Precision;
  epochs?: number;
  tta?: 0 | 1 | 2;
  widths?: readonly [number, number, number];
  batchSize?: number;
}): AirbenchConfig {
  const variant = makeConfig(setting.variant, {
    ...(setting.epochs !== undefined ? { epochs: setting.epochs } : {}),
    ...(setting.tta !== undefined ? { tta: setting.tta } : {}),
    precision: setting.precision,
    ...(setting.widths ? { widths: setting.widths } : {}),
    ...(setting.batchSize !== undefined ? { batchSize: setting.batchSize } : {}),
    ...(setting.dataset === 'cifar100' ? { classes: 100 } : {}),
  });
  // The whitening statistics use the first 5,000 training images (of the subset), un-augmented.
  return makeConfig(variant, { whiteningImages: Math.min(variant.whiteningImages, setting.trainSize) });
}

/** airbench-net's major.minor (see RunIdentity.numerics). */
export function numericsVersion(): string {
  const { version } = createRequire(import.meta.url)('@airbench-ts/airbench-net/package.json') as { version: string };
  return version.split('.').slice(0, 2).join('.');
}

/** A run's key: SHA-256 of its identity as canonical JSON (keys sorted). */
export function runKey(identity: RunIdentity): string {
  return createHash('sha256').update(canonicalJson(identity)).digest('hex');
}

/**
 * The key of a record written before records carried one (migration on read):
 * its identity rebuilt from the fields it has, as the command resolved them then.
 * Those records were all made by airbench-net 0.1 on a full test set of 10,000
 * unless they say `testSize`.
 */
export function legacyRunKey(record: RunRecord): string | undefined {
  // A record that names no complete setting is no run this command could repeat: nothing to skip.
  if (!Object.hasOwn(CONFIGS, record.variant) || !Number.isSafeInteger(record.trainSize) || !Number.isSafeInteger(record.seed) || !(record.epochs > 0)) return undefined;
  const dataset = record.dataset ?? 'cifar10';
  const config = resolveConfig({
    variant: record.variant as VariantName,
    dataset,
    trainSize: record.trainSize,
    precision: record.precision ?? 'fp32',
    epochs: record.epochs,
    tta: record.tta as 0 | 1 | 2,
    ...(record.widths ? { widths: record.widths } : {}),
    ...(record.batchSize !== undefined ? { batchSize: record.batchSize } : {}),
  });
  return runKey({ config, dataset, trainSize: record.trainSize, testSize: record.testSize ?? 10_000, seed: record.seed, backend: record.backend, tensorflowVersion: record.tensorflowVersion ?? null, numerics: '0.1' });
}

/** Runs already in `file`, by run key: what a resumed command skips. */
export function completedRuns(file: string): Map<string, RunRecord> {
  const done = new Map<string, RunRecord>();
  if (!existsSync(file)) return done;
  for (const [i, line] of readFileSync(file, 'utf8').split('\n').entries()) {
    if (!line.trim()) continue;
    let record: RunRecord;
    try {
      record = JSON.parse(line) as RunRecord;
    } catch {
      throw new Error(`${file}:${i + 1} is not a JSON run record; fix or remove that line (a run interrupted while writing leaves at most a partial last line).`);
    }
    const key = record.runKey ?? legacyRunKey(record);
    if (key) done.set(key, record);
  }
  return done;
}

/** Appends one run as a JSON line (a single write, so a line is whole or absent). */
export function appendRun(file: string, record: RunRecord): void {
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify(record)}\n`);
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
