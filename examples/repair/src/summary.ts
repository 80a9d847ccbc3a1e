import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { meanInterval } from '@airbench-ts/run-variance/stats';
import { paperFigure } from './paper';
import type { Method, StudyResult } from './study';

// Pairs of endpoints, summarised: every run's `<name>.json` in an output directory, grouped by what was run (every
// setting but the seed), so that runs of the same command with --seed 0, 2, 4 … give the spread of each figure.
// The paper reports one pair per row; the spread says how far one pair can be trusted.

/** One run's file as writeResults writes it. */
interface RunFile extends StudyResult {
  label: string;
  settings: Record<string, unknown> & { seed: number; align: string };
}

/** A figure over the pairs of a group: mean, sample std and 95% t-interval (null with one pair), min and max. */
export interface Spread {
  n: number;
  mean: number;
  std: number | null;
  ci: [number, number] | null;
  min: number;
  max: number;
}

export interface PairGroup {
  label: string;
  align: string;
  /** The settings every run of the group shares (seed, timing and backend left out). */
  settings: Record<string, unknown>;
  seeds: number[];
  endpointAccuracy: Spread;
  /** Per method: the accuracy at α = 0.5 and the accuracy barrier (fractions). */
  methods: { method: Method; accuracy: Spread; accuracyBarrier: Spread }[];
  /** The relative barrier reductions over the pairs where they are defined (see StudyResult.barrierReduction). */
  reduction: { accuracy: Spread | null; loss: Spread | null };
}

function spread(values: number[]): Spread | null {
  if (values.length === 0) return null;
  const [min, max] = [Math.min(...values), Math.max(...values)];
  if (values.length === 1) return { n: 1, mean: values[0]!, std: null, ci: null, min, max };
  const { mean, std, ci } = meanInterval(values);
  return { n: values.length, mean, std, ci, min, max };
}

const VARYING = new Set(['seed', 'seconds', 'studySeconds', 'backend']);

/** Groups the run files of `dir` (those of `writeResults`; other JSON files are skipped) by setting. */
export function summarizePairs(dir: string): PairGroup[] {
  const groups = new Map<string, RunFile[]>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'summary.json').sort()) {
    let run: RunFile;
    try {
      run = JSON.parse(readFileSync(join(dir, file), 'utf8')) as RunFile;
    } catch {
      continue;
    }
    if (!run.settings || !run.endpoints || !Array.isArray(run.methods) || !run.barrierReduction) continue;
    const key = JSON.stringify([run.label, Object.entries(run.settings).filter(([k]) => !VARYING.has(k)).sort(([a], [b]) => a.localeCompare(b))]);
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  return [...groups.values()].map((runs) => {
    const first = runs[0]!;
    const defined = (pick: (r: RunFile) => number | null) => runs.map(pick).filter((x): x is number => x !== null);
    return {
      label: first.label,
      align: first.settings.align,
      settings: Object.fromEntries(Object.entries(first.settings).filter(([k]) => !VARYING.has(k))),
      seeds: runs.map((r) => r.settings.seed).sort((a, b) => a - b),
      endpointAccuracy: spread(runs.flatMap((r) => [r.endpoints.a.accuracy, r.endpoints.b.accuracy]))!,
      methods: first.methods.map(({ method }) => {
        const of = (r: RunFile) => r.methods.find((m) => m.method === method)!;
        return { method, accuracy: spread(runs.map((r) => of(r).midpoint.accuracy))!, accuracyBarrier: spread(runs.map((r) => of(r).accuracyBarrier))! };
      }),
      reduction: { accuracy: spread(defined((r) => r.barrierReduction.accuracy)), loss: spread(defined((r) => r.barrierReduction.loss)) },
    };
  });
}

const pct = (x: number) => (x * 100).toFixed(2);
function cell(s: Spread | null, percent = true): string {
  if (!s) return '—';
  const f = percent ? pct : (x: number) => x.toFixed(3);
  return s.n === 1 ? f(s.mean) : `${f(s.mean)} ± ${f(s.std!)} (${f(s.ci![0])}–${f(s.ci![1])})`;
}

/** `summary.md` and `summary.json` in `dir`: one row per group of pairs; returns the paths. */
export function writeSummary(dir: string): string[] {
  const groups = summarizePairs(dir);
  const rows = groups.map((g) => {
    const at = (m: Method) => g.methods.find((x) => x.method === m);
    const repaired = at('permuted+REPAIR');
    // The endpoints: both of one pair as A / B; over several pairs, mean ± std and the range.
    const e = g.endpointAccuracy;
    const endpoints = e.n === 2 ? `${pct(e.min)} – ${pct(e.max)}` : `${pct(e.mean)} ± ${pct(e.std!)} (${pct(e.min)}–${pct(e.max)})`;
    const paper = paperFigure(String(g.settings.model), String(g.settings.norm), Number(g.settings.width));
    const theirs = paper ? `${paper.endpoints.join(' / ')}; permuted ${paper.permuted}, REPAIR ${paper.repaired}: **${Math.round(paper.reduction * 100)}%**${paper.note ? ` (${paper.note})` : ''}` : '—';
    return `| ${g.label} (${g.align}) | ${g.settings.epochs} | ${g.seeds.length} (seeds ${g.seeds.join(', ')}) | ${endpoints} | ${cell(at('permuted')?.accuracy ?? null)} | ${cell(repaired?.accuracy ?? null)} | ${cell(g.reduction.accuracy)} | ${cell(g.reduction.loss)} | ${theirs} |`;
  });
  const md = [
    '# REPAIR: pairs of endpoints',
    '',
    `Every run in \`${dir}\`, grouped by its settings (all but the seed: \`--seed s\` trains the pair s, s + 1). Accuracies in %`,
    'at α = 0.5; with more than one pair, mean ± sample std (95% t-interval of the mean). A reduction is',
    '1 − B(REPAIR)/B(permuted), over the pairs whose permuted barrier is clear of noise. The paper\'s figures (docs/papers.md',
    '§3.9) are for the same architecture, norm and width, one pair, trained 100–250 epochs; its reduction is the accuracy barrier\'s.',
    '',
    '| model (align) | epochs | pairs | endpoints | permuted | + REPAIR | reduction, accuracy barrier (%) | reduction, loss barrier (%) | paper: endpoints; midpoints: reduction |',
    '| --- | ---: | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
  const paths = [join(dir, 'summary.md'), join(dir, 'summary.json')];
  writeFileSync(paths[0]!, md);
  writeFileSync(paths[1]!, `${JSON.stringify(groups, null, 1)}\n`);
  return paths;
}
