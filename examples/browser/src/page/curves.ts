// The live curves of section 2: train loss and test accuracy against epochs,
// drawn as two SVG polylines (a chart library would outweigh the page).
import type { TabEpoch } from './train';

const [WIDTH, HEIGHT, PAD] = [480, 200, 28];

export function drawCurves(svg: SVGSVGElement, history: readonly TabEpoch[], epochs: number): void {
  const x = (epoch: number) => PAD + ((WIDTH - 2 * PAD) * (epoch + 1)) / Math.max(epochs, 1);
  const y = (fraction: number) => HEIGHT - PAD - (HEIGHT - 2 * PAD) * Math.min(Math.max(fraction, 0), 1);
  const maxLoss = Math.max(2.5, ...history.map((h) => h.trainLoss));
  const line = (values: number[], color: string) => `<polyline fill="none" stroke="${color}" stroke-width="2" points="${values.map((v, i) => `${x(i)},${y(v)}`).join(' ')}" />`;
  const accuracy = history.map((h) => h.valAcc ?? 0);
  const loss = history.map((h) => h.trainLoss / maxLoss);
  svg.innerHTML = [
    `<line x1="${PAD}" y1="${HEIGHT - PAD}" x2="${WIDTH - PAD}" y2="${HEIGHT - PAD}" stroke="#999" />`,
    `<line x1="${PAD}" y1="${PAD}" x2="${PAD}" y2="${HEIGHT - PAD}" stroke="#999" />`,
    `<text x="${WIDTH / 2}" y="${HEIGHT - 6}" font-size="11" text-anchor="middle">epoch (of ${epochs})</text>`,
    `<text x="${PAD + 4}" y="${PAD - 8}" font-size="11" fill="#1971c2">test accuracy (0–100%)</text>`,
    `<text x="${WIDTH - PAD}" y="${PAD - 8}" font-size="11" fill="#e8590c" text-anchor="end">train loss (0–${maxLoss.toFixed(1)})</text>`,
    history.length ? line(accuracy, '#1971c2') : '',
    history.length ? line(loss, '#e8590c') : '',
  ].join('');
}
