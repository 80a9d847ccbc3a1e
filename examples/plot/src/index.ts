import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
// vega-lite is pinned to ~6.4 in package.json: 6.5 needs Node 22, and this project supports Node 20.
import * as vegaLite from 'vega-lite';

export type PlotSpec = vegaLite.TopLevelSpec;

/** Renders a vega-lite spec to `<path>.svg` and `<path>.png` (resvg, 2× for screens); returns both paths. */
export async function writePlot(path: string, spec: PlotSpec): Promise<{ svg: string; png: string }> {
  const view = new vega.View(vega.parse(vegaLite.compile({ $schema: 'https://vega.github.io/schema/vega-lite/v6.json', background: 'white', ...spec } as PlotSpec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.svg`, svg);
  writeFileSync(`${path}.png`, new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 } }).render().asPng());
  return { svg: `${path}.svg`, png: `${path}.png` };
}
