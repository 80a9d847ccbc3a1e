import { SingleBar } from 'cli-progress';
import type { EpochRecord, StepInfo } from '@airbench-ts/airbench-net';
import type { RunRecord } from './results';

// airbench's table: run, epoch, train_loss, train_acc, val_acc, tta_val_acc, seconds.
// The final row of a run (with tta_val_acc) shows 'eval' in the epoch column.
const COLUMNS = ['run', 'epoch', 'train_loss', 'train_acc', 'val_acc', 'tta_val_acc', 'seconds'];
const WIDTH = 12;

const cell = (value: string | number | null, digits = 4) =>
  (value === null || (typeof value === 'number' && Number.isNaN(value)) ? '' : typeof value === 'number' ? value.toFixed(digits) : value).padStart(WIDTH);

/** Where the table goes: stdout, or stderr when stdout carries --json lines. */
export type Out = NodeJS.WritableStream;

export function printTableHeader(out: Out): void {
  const line = `|${COLUMNS.map((c) => c.padStart(WIDTH)).join('|')}|`;
  out.write(`${'-'.repeat(line.length)}\n${line}\n${'-'.repeat(line.length)}\n`);
}

export function printTableRow(out: Out, run: number, epoch: Pick<EpochRecord, 'epoch' | 'trainLoss' | 'trainAcc' | 'valAcc' | 'seconds'>, ttaValAcc: number | null): void {
  const cells = [
    cell(String(run)),
    cell(ttaValAcc === null ? String(epoch.epoch) : 'eval'),
    cell(epoch.trainLoss),
    cell(epoch.trainAcc),
    cell(epoch.valAcc),
    cell(ttaValAcc),
    cell(epoch.seconds, 2),
  ];
  out.write(`|${cells.join('|')}|\n`);
}

/** A bar with ETA over the steps of one epoch, on stderr, only on a terminal. */
export class EpochProgress {
  private bar: SingleBar | null = null;
  private first = 0;

  constructor(private readonly batchesPerEpoch: number) {}

  step(info: StepInfo): void {
    if (!process.stderr.isTTY) return;
    if (!this.bar) {
      this.first = info.step;
      const total = Math.min(this.batchesPerEpoch, info.totalSteps - info.step);
      this.bar = new SingleBar({ format: `  epoch ${info.epoch} [{bar}] {value}/{total} steps | ETA {eta_formatted}`, stream: process.stderr, clearOnComplete: true, hideCursor: true });
      this.bar.start(total, 0);
    }
    this.bar.update(info.step - this.first);
  }

  end(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

export function printSummary(out: Out, records: RunRecord[]): void {
  if (records.length === 0) return;
  const stats = (xs: number[]) => {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
    return { mean, std };
  };
  const acc = stats(records.map((r) => r.ttaValAcc));
  const time = stats(records.map((r) => r.seconds));
  out.write(
    `${records[0]!.variant} on ${records[0]!.trainSize} images, ${records.length} run(s) on ${records[0]!.backend}: ` +
      `tta_val_acc mean ${acc.mean.toFixed(4)}, std ${acc.std.toFixed(4)}; ${time.mean.toFixed(1)} ± ${time.std.toFixed(1)} s per run\n`,
  );
}
