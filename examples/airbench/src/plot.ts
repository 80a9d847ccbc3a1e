import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as vega from 'vega';
// vega-lite is pinned to ~6.4 in package.json: 6.5 needs Node 22, and this project supports Node 20.
import * as vegaLite from 'vega-lite';
import type { EpochRecord } from '@airbench-ts/airbench-net';

/** The per-epoch curves of the runs, as an SVG: val_acc and train_loss per epoch. */
export async function writeCurvesSvg(path: string, title: string, runs: { seed: number; history?: EpochRecord[]; ttaValAcc: number }[]): Promise<void> {
  const values = runs.flatMap((run) =>
    (run.history ?? []).flatMap((h) => [
      { run: `seed ${run.seed} (TTA ${(run.ttaValAcc * 100).toFixed(2)}%)`, epoch: h.epoch, metric: 'val_acc (no TTA)', value: h.valAcc },
      { run: `seed ${run.seed} (TTA ${(run.ttaValAcc * 100).toFixed(2)}%)`, epoch: h.epoch, metric: 'train_loss (last batch)', value: h.trainLoss },
    ]),
  );
  const spec: vegaLite.TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
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
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, svg);
}
