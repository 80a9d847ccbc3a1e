import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writePlot, type PlotSpec } from '@airbench-ts-example/plot';
import type { StudyResult } from './study';

// What a run shows: the table on the terminal, JSON lines, results.json, and
// the plots (accuracy and loss over α per method; variance ratio per layer).

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const reduction = (x: number | null) => (x === null ? '— (see below)' : pct(x));

// One colour per method in every plot (the variance plot's midpoints take their method's colour).
const METHOD_COLOURS: Record<string, string> = { naive: '#4c78a8', permuted: '#f58518', 'permuted+resetBN': '#54a24b', 'permuted+REPAIR': '#e45756', 'permuted+closedForm': '#72b7b2' };
const colours = (present: string[]) => ({ domain: present, range: present.map((m) => METHOD_COLOURS[m]!) });

export function table(label: string, result: StudyResult): string {
  const { a, b } = result.endpoints;
  const rows = result.methods.map((m) => [m.method, pct(m.midpoint.accuracy), m.midpoint.loss.toFixed(3), (m.accuracyBarrier * 100).toFixed(2), m.lossBarrier.toFixed(3)]);
  const header = ['method (α = 0.5)', 'accuracy', 'loss', 'acc. barrier (pp)', 'loss barrier'];
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k]!.length)));
  const line = (cells: string[]) => cells.map((c, k) => (k === 0 ? c.padEnd(widths[k]!) : c.padStart(widths[k]!))).join('  ');
  return [
    `${label}: endpoints ${pct(a.accuracy)} / ${pct(b.accuracy)} (loss ${a.loss.toFixed(3)} / ${b.loss.toFixed(3)}); permuted B = B up to ${result.equivalence.maxAbsDifference.toExponential(1)} (logits up to ${result.equivalence.maxAbsOutput.toFixed(1)})`,
    line(header),
    ...rows.map(line),
    `relative barrier reduction by REPAIR: accuracy ${reduction(result.barrierReduction.accuracy)}, loss ${reduction(result.barrierReduction.loss)}`,
    ...result.barrierReduction.notes.map((note) => `  (${note})`),
    `variance ratio at α = 0.5, per layer (permuted): ${result.varianceRatio.map((v) => v.permuted.toFixed(2)).join(', ')}`,
  ].join('\n');
}

/** One line per method, then the summary line (the JSON shape, plus curves and notes). */
export function jsonLines(model: string, align: string, result: StudyResult): string[] {
  const { a, b } = result.endpoints;
  return [
    ...result.methods.map((m) => JSON.stringify({ model, align, method: m.method, accuracy: m.midpoint.accuracy, loss: m.midpoint.loss, accuracyBarrier: m.accuracyBarrier, lossBarrier: m.lossBarrier, ...(m.note ? { note: m.note } : {}) })),
    JSON.stringify({ model, align, endpointAccuracy: [a.accuracy, b.accuracy], endpointLoss: [a.loss, b.loss], barrierReduction: result.barrierReduction.loss, accuracyBarrierReduction: result.barrierReduction.accuracy, ...(result.barrierReduction.notes.length ? { notes: result.barrierReduction.notes } : {}), maxAbsDifference: result.equivalence.maxAbsDifference }),
  ];
}

export async function writeResults(dir: string, name: string, label: string, settings: unknown, result: StudyResult): Promise<string[]> {
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify({ label, settings, ...result }, null, 1)}\n`);
  const curves = result.methods.flatMap((m) => m.curve.alphas.flatMap((alpha, k) => [
    { method: m.method, alpha, metric: 'test accuracy (%)', value: m.curve.accuracy[k]! * 100 },
    { method: m.method, alpha, metric: 'test loss', value: m.curve.loss[k]! },
  ]));
  const curveSpec: PlotSpec = {
    title: `${label}: interpolating A and B`,
    data: { values: curves },
    facet: { column: { field: 'metric', type: 'nominal', title: null } },
    spec: {
      width: 300,
      height: 220,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'alpha', type: 'quantitative', title: 'α (0 = A, 1 = B)' },
        y: { field: 'value', type: 'quantitative', title: null },
        color: { field: 'method', type: 'nominal', title: 'method', scale: colours(result.methods.map((m) => m.method)) },
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
  const collapse = result.varianceRatio.flatMap((v, k) => [
    { layer: k + 1, name: v.layer, what: 'naive', ratio: v.naive },
    { layer: k + 1, name: v.layer, what: 'permuted', ratio: v.permuted },
    { layer: k + 1, name: v.layer, what: 'permuted+REPAIR', ratio: v.repaired },
  ]);
  const collapseSpec: PlotSpec = {
    title: `${label}: variance collapse at α = 0.5`,
    width: 380,
    height: 240,
    data: { values: collapse },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'layer', type: 'quantitative', axis: { tickMinStep: 1, format: 'd' }, title: 'layer' },
      y: { field: 'ratio', type: 'quantitative', title: 'variance of midpoint / endpoints' },
      color: { field: 'what', type: 'nominal', title: 'midpoint', scale: colours(['naive', 'permuted', 'permuted+REPAIR']) },
      tooltip: [{ field: 'name' }],
    },
  };
  const written = [await writePlot(join(dir, `${name}-curves`), curveSpec), await writePlot(join(dir, `${name}-variance`), collapseSpec)];
  return [join(dir, `${name}.json`), ...written.flatMap((w) => [w.svg, w.png])];
}
