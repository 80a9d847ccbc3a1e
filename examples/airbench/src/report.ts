import { MultiBar, type SingleBar } from 'cli-progress';
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

/**
 * Two bars on stderr, only on a terminal: the whole run's steps and the current
 * epoch's, each with an ETA. A resumed run's bars start at the step it resumed
 * from, and the ETA counts only steps taken in this process, so it is truthful.
 */
export class RunProgress {
  private bars: MultiBar | null = null;
  private run: SingleBar | null = null;
  private epoch: SingleBar | null = null;
  private epochIndex = -1;
  private epochFirst = 0;

  constructor(
    private readonly label: string,
    private readonly batchesPerEpoch: number,
  ) {}

  step(info: StepInfo): void {
    if (!process.stderr.isTTY) return;
    if (!this.bars) {
      this.bars = new MultiBar({ stream: process.stderr, clearOnComplete: true, hideCursor: true, etaBuffer: 50, format: '  {name} [{bar}] {value}/{total} steps | ETA {eta_formatted}' });
      this.run = this.bars.create(info.totalSteps, info.step, { name: this.label });
    }
    if (info.epoch !== this.epochIndex) {
      if (this.epoch) this.bars.remove(this.epoch);
      this.epochIndex = info.epoch;
      // A resumed epoch starts part-way: its bar counts from there.
      const start = info.epoch * this.batchesPerEpoch;
      this.epochFirst = start;
      const total = Math.min(this.batchesPerEpoch, info.totalSteps - start);
      this.epoch = this.bars.create(total, info.step - start, { name: `epoch ${info.epoch}` });
    }
    this.run!.update(info.step);
    this.epoch!.update(info.step - this.epochFirst);
  }

  end(): void {
    this.bars?.stop();
    this.bars = this.run = this.epoch = null;
    this.epochIndex = -1;
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
