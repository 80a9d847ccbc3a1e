import type { EpochRecord } from '@airbench-ts/airbench-net';
import { writePlot, type PlotSpec } from '@airbench-ts-example/plot';

/** The per-epoch curves of the runs, val_acc and train_loss per epoch, as `<path>.svg` and `<path>.png`. */
export async function writeCurves(path: string, title: string, runs: { seed: number; history?: EpochRecord[]; ttaValAcc: number }[]): Promise<{ svg: string; png: string }> {
  const values = runs.flatMap((run) =>
    (run.history ?? []).flatMap((h) => [
      { run: `seed ${run.seed} (TTA ${(run.ttaValAcc * 100).toFixed(2)}%)`, epoch: h.epoch, metric: 'val_acc (no TTA)', value: h.valAcc },
      { run: `seed ${run.seed} (TTA ${(run.ttaValAcc * 100).toFixed(2)}%)`, epoch: h.epoch, metric: 'train_loss (last batch)', value: h.trainLoss },
    ]),
  );
  const spec: PlotSpec = {
    title,
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal', title: null } },
    spec: {
      width: 320,
      height: 220,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        color: { field: 'run', type: 'nominal', title: 'run' },
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
  return writePlot(path, spec);
}
