import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { budgetToMatch, compareRuns, meanInterval, type Experiment, type RunRecord, type RunStore } from '@airbench-ts/run-variance';
import { writePlot, type PlotSpec } from '@airbench-ts-example/plot';
import { epochsOf, modeOf, type AblationConfig } from './experiment';
import type { Options } from './options';
import { MODES, type Mode } from './presets';

/** One cell: a flip at an epoch budget. `ci` (Student t, 95%) needs 2 runs or more. */
export interface Cell {
  epochs: number;
  mode: Mode;
  n: number;
  mean: number;
  std: number | null;
  ci: [number, number] | null;
  secondsPerRun: number;
}

/** a − b at one budget: Welch CI and p, and a permutation p. */
export interface Comparison {
  epochs: number;
  a: Mode;
  b: Mode;
  difference: number;
  ci: [number, number];
  welchP: number;
  permutationP: number;
  n: [number, number];
  /**
   * The smallest true difference these runs detect with 80% power at the 5%
   * level: (z₀.₉₇₅ + z₀.₈) × the standard error, from the Welch CI's half-width.
   */
  detectable: number;
  /**
   * The same difference seed by seed (run s of both cells starts from the same
   * weights and data order): the mean of the per-seed differences and its
   * Student-t 95% CI; null with fewer than 2 seeds in both.
   */
  paired: { n: number; mean: number; ci: [number, number] } | null;
}

/** The paper's statement of the gain: the epochs random flip needs to reach alternating flip's accuracy at `epochs`. */
export interface EpochsToMatch {
  epochs: number;
  /** Random flip's matching budget (null when outside the budgets measured: see `position`). */
  randomEpochs: number | null;
  position: 'within' | 'below' | 'above';
  /** Bootstrap 95% interval of randomEpochs; ±Infinity ends (null in JSON) fell outside the budgets. */
  ci: [number, number];
  /** randomEpochs − epochs: the epochs alternating flip saves, and that as a fraction of randomEpochs. */
  saved: number | null;
  savedFraction: number | null;
}

/**
 * bf16 − fp32 in one cell: the same preset, network, budget and flip run in an fp32 and a bf16
 * experiment of the store (issue 10: is bf16 within fp32's run-to-run noise?).
 */
export interface PrecisionComparison {
  experiments: { bf16: string; fp32: string };
  epochs: number;
  mode: Mode;
  bf16: { n: number; mean: number; std: number };
  fp32: { n: number; mean: number; std: number };
  difference: number;
  ci: [number, number];
  welchP: number;
  permutationP: number;
  detectable: number;
  /** Per seed (run s of both starts from the same weights, data order and flips); null with fewer than 2 shared seeds. */
  paired: { n: number; mean: number; ci: [number, number] } | null;
}

export interface AblationReport {
  experiment: string;
  config: AblationConfig;
  cells: Cell[];
  comparisons: Comparison[];
  epochsToMatch: EpochsToMatch[];
  backends: string[];
  failed: number;
  plots: string[];
}

/** The report of every (or each named) experiment: Markdown, JSON, and an SVG + PNG plot each, in --out. */
export async function writeReport(store: RunStore, options: Pick<Options, 'experiment' | 'out' | 'store' | 'json'>): Promise<number> {
  const experiments = options.experiment ? await Promise.all(options.experiment.split(',').map((name) => store.getExperiment(name))) : await store.experiments();
  // --out is made only when there is something to write: a failed report leaves no folder behind.
  const ensureOut = () => mkdirSync(options.out, { recursive: true });
  const reports: AblationReport[] = [];
  const stored: { experiment: Experiment; runs: RunRecord[] }[] = [];
  for (const experiment of experiments) {
    const runs = await store.runs(experiment);
    stored.push({ experiment, runs });
    const report = ablationReport(experiment, runs);
    if (report.cells.length === 0) {
      process.stderr.write(`flip-ablation: '${experiment.name}' has no finished run yet; left out of the report.\n`);
      continue;
    }
    ensureOut();
    const plot = await writePlot(join(options.out, experiment.name), accuracySpec(report));
    report.plots = [plot.svg, plot.png];
    reports.push(report);
  }
  if (reports.length === 0) {
    process.stderr.write(`flip-ablation: no experiment in ${options.store} has a finished run yet; run some first.\n`);
    return 1;
  }
  const precision = precisionComparisons(stored);
  const json = JSON.stringify({ generated: new Date().toISOString(), store: options.store, experiments: reports, precision }, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2);
  writeFileSync(join(options.out, 'report.json'), `${json}\n`);
  writeFileSync(join(options.out, 'report.md'), markdown(reports, true, precision));
  if (options.json) process.stdout.write(`${JSON.stringify(JSON.parse(json))}\n`);
  else process.stdout.write(`${markdown(reports, false, precision)}\nwritten: ${join(options.out, 'report.md')}, report.json and the plots (SVG and PNG)\n`);
  return 0;
}

/** An experiment's finished runs by cell ("epochs|mode"). */
function cellsOf(runs: RunRecord[]): Map<string, RunRecord[]> {
  const groups = new Map<string, RunRecord[]>();
  for (const run of runs) {
    if (run.state !== 'done' || run.accuracy === null) continue;
    const key = `${epochsOf(run.seeds)}|${modeOf(run.seeds)}`;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  return groups;
}

/** a − b over two cells' runs: Welch CI and p, permutation p, the detectable difference, and the difference paired by seed. */
function compareCells(a: RunRecord[], b: RunRecord[]): Pick<Comparison, 'difference' | 'ci' | 'welchP' | 'permutationP' | 'n' | 'detectable' | 'paired'> {
  const c = compareRuns(a.map((r) => r.accuracy!), b.map((r) => r.accuracy!), { seed: 0 });
  const bySeed = new Map(b.map((r) => [r.seeds.seed!, r.accuracy!]));
  const differences = a.filter((r) => bySeed.has(r.seeds.seed!)).map((r) => r.accuracy! - bySeed.get(r.seeds.seed!)!);
  const paired = differences.length >= 2 ? meanInterval(differences) : null;
  return {
    difference: c.difference,
    ci: c.ci,
    welchP: c.welch.p,
    permutationP: c.permutationP,
    n: c.n,
    detectable: (1.959964 + 0.841621) * c.standardError,
    paired: paired && { n: paired.n, mean: paired.mean, ci: paired.ci },
  };
}

/** The statistics of one experiment's finished runs. */
export function ablationReport(experiment: Experiment, runs: RunRecord[]): AblationReport {
  const done = runs.filter((r) => r.state === 'done' && r.accuracy !== null);
  const groups = cellsOf(runs);
  const accuracies = (epochs: number, mode: Mode) => (groups.get(`${epochs}|${mode}`) ?? []).map((r) => r.accuracy!);
  const budgets = [...new Set(done.map((r) => epochsOf(r.seeds)))].sort((a, b) => a - b);
  const cells: Cell[] = [];
  for (const epochs of budgets) {
    for (const mode of MODES) {
      const group = groups.get(`${epochs}|${mode}`);
      if (!group) continue;
      const values = group.map((r) => r.accuracy!);
      const interval = values.length >= 2 ? meanInterval(values) : null;
      cells.push({ epochs, mode, n: values.length, mean: interval?.mean ?? values[0]!, std: interval?.std ?? null, ci: interval?.ci ?? null, secondsPerRun: group.reduce((s, r) => s + (r.seconds ?? 0), 0) / group.length });
    }
  }
  const comparisons: Comparison[] = [];
  for (const epochs of budgets) {
    for (const [a, b] of [['alternating', 'random'], ['random', 'none'], ['alternating', 'none']] as const) {
      const [ra, rb] = [groups.get(`${epochs}|${a}`) ?? [], groups.get(`${epochs}|${b}`) ?? []];
      if (ra.length < 2 || rb.length < 2) continue;
      comparisons.push({ epochs, a, b, ...compareCells(ra, rb) });
    }
  }
  const curve = budgets.map((budget) => ({ budget, accuracies: accuracies(budget, 'random') })).filter((c) => c.accuracies.length > 0);
  const epochsToMatch: EpochsToMatch[] = [];
  if (curve.length >= 2) {
    for (const epochs of budgets) {
      const target = accuracies(epochs, 'alternating');
      if (target.length === 0) continue;
      const match = budgetToMatch(target, curve, { seed: 0 });
      const saved = match.budget === null ? null : match.budget - epochs;
      epochsToMatch.push({ epochs, randomEpochs: match.budget, position: match.position, ci: match.ci, saved, savedFraction: saved === null ? null : saved / match.budget! });
    }
  }
  return {
    experiment: experiment.name,
    config: experiment.config as AblationConfig,
    cells,
    comparisons,
    epochsToMatch,
    backends: [...new Set(done.map((r) => r.backend ?? '?'))],
    failed: runs.filter((r) => r.state === 'failed').length,
    plots: [],
  };
}

/**
 * bf16 − fp32 for every cell that two experiments of the store share, when the two differ
 * only in `precision` (e.g. `--preset 10k` run with `--precision fp32` and with `--precision bf16`).
 */
export function precisionComparisons(experiments: { experiment: Experiment; runs: RunRecord[] }[]): PrecisionComparison[] {
  // VGG11 experiments have no precision: never compared.
  const precisionOf = (e: { experiment: Experiment }) => (e.experiment.config as { precision?: string }).precision;
  const withoutPrecision = (e: { experiment: Experiment }) => JSON.stringify({ ...(e.experiment.config as object), precision: undefined });
  const comparisons: PrecisionComparison[] = [];
  for (const bf16 of experiments.filter((e) => precisionOf(e) === 'bf16')) {
    const fp32 = experiments.find((e) => precisionOf(e) === 'fp32' && withoutPrecision(e) === withoutPrecision(bf16));
    if (!fp32) continue;
    const [cellsBf16, cellsFp32] = [cellsOf(bf16.runs), cellsOf(fp32.runs)];
    for (const [key, runsBf16] of cellsBf16) {
      const runsFp32 = cellsFp32.get(key);
      if (!runsFp32 || runsBf16.length < 2 || runsFp32.length < 2) continue;
      const summary = (runs: RunRecord[]) => {
        const interval = meanInterval(runs.map((r) => r.accuracy!));
        return { n: interval.n, mean: interval.mean, std: interval.std };
      };
      const { n: _n, ...comparison } = compareCells(runsBf16, runsFp32);
      comparisons.push({
        experiments: { bf16: bf16.experiment.name, fp32: fp32.experiment.name },
        epochs: epochsOf(runsBf16[0]!.seeds),
        mode: modeOf(runsBf16[0]!.seeds),
        bf16: summary(runsBf16),
        fp32: summary(runsFp32),
        ...comparison,
      });
    }
  }
  return comparisons.sort((a, b) => a.experiments.bf16.localeCompare(b.experiments.bf16) || a.epochs - b.epochs || MODES.indexOf(a.mode) - MODES.indexOf(b.mode));
}

/** Accuracy against epochs, one line per flip, with the 95% CI of each cell's mean as a band. */
export function accuracySpec(report: AblationReport): PlotSpec {
  const rows = report.cells.map((c) => ({ epochs: c.epochs, flip: c.mode, accuracy: c.mean * 100, low: (c.ci?.[0] ?? c.mean) * 100, high: (c.ci?.[1] ?? c.mean) * 100 }));
  const color = { field: 'flip', type: 'nominal', scale: { domain: [...MODES], range: ['#9e9e9e', '#1f77b4', '#d62728'] }, title: 'training flip' } as const;
  const x = { field: 'epochs', type: 'quantitative', title: 'epochs' } as const;
  return {
    title: `${report.experiment}: test accuracy by epoch budget (mean and 95% CI over runs)`,
    width: 420,
    height: 280,
    data: { values: rows },
    layer: [
      { mark: { type: 'area', opacity: 0.18 }, encoding: { x, y: { field: 'low', type: 'quantitative', scale: { zero: false }, title: 'test accuracy (%)' }, y2: { field: 'high' }, color } },
      { mark: { type: 'line', point: true }, encoding: { x, y: { field: 'accuracy', type: 'quantitative', scale: { zero: false }, title: 'test accuracy (%)' }, color } },
    ],
  };
}

const pct = (x: number, digits = 2) => `${(x * 100).toFixed(digits)}`;
// Welch's p underflows to 0 in float64 beyond ~1e-16: say so rather than print 0.
const p = (x: number) => (x === 0 ? '<1e-15' : x < 0.001 ? x.toExponential(1) : x.toFixed(3));
const end = (x: number, budgets: number[]) => (x === Infinity ? `>${budgets.at(-1)}` : x === -Infinity ? `<${budgets[0]}` : x.toFixed(2));

/** The paper's figure the `full` preset reproduces (docs/papers.md §1.0). */
const PAPER_FULL = 'Paper (docs/papers.md §1.0): airbench94, alternating flip, 9.9 epochs, TTA: **94.01%** mean test accuracy over 1,000 runs (fp16 on one A100, 3.29 s a run).';

function markdown(reports: AblationReport[], withPlots: boolean, precision: PrecisionComparison[] = []): string {
  const lines = ['# Flip ablation (airbench, Jordan 2024): none vs random vs alternating flip', ''];
  for (const r of reports) {
    const budgets = [...new Set(r.cells.map((c) => c.epochs))];
    const c = r.config;
    lines.push(
      `## ${r.experiment}`,
      '',
      `${c.net !== 'vgg11' ? `${c.net}, widths ${c.widths.join('/')}, batch ${c.batchSize}, TTA ${c.tta}, ${c.precision}` : `VGG11 ×${c.vggWidth} (the repair example's recipe: SGD, batch 500)`}; first ${c.trainSubset} training images; accuracy on the first ${c.testSubset} test images; ${r.backends.join(', ')}; ${r.failed} failed run(s).`,
      '',
      '| epochs | flip | n | mean acc (%) | 95% CI | std | s/run |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      ...r.cells.map((x) => `| ${x.epochs} | ${x.mode} | ${x.n} | ${pct(x.mean)} | ${x.ci ? `${pct(x.ci[0])}–${pct(x.ci[1])}` : '–'} | ${x.std === null ? '–' : pct(x.std)} | ${x.secondsPerRun.toFixed(1)} |`),
      '',
    );
    if (c.preset === 'full' && c.net === 'airbench94') lines.push(PAPER_FULL, '');
    if (r.comparisons.length > 0) {
      lines.push('| epochs | comparison | difference (pp) | 95% CI (Welch) | Welch p | permutation p | n | detectable (pp) | paired by seed: mean (95% CI) |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
      lines.push(...r.comparisons.map((x) => `| ${x.epochs} | ${x.a} − ${x.b} | ${pct(x.difference)} | ${pct(x.ci[0])} to ${pct(x.ci[1])} | ${p(x.welchP)} | ${p(x.permutationP)} | ${x.n.join(' / ')} | ${pct(x.detectable)} | ${x.paired ? `${pct(x.paired.mean)} (${pct(x.paired.ci[0])} to ${pct(x.paired.ci[1])}), n ${x.paired.n}` : '–'} |`), '');
    }
    if (r.comparisons.length > 0) {
      lines.push(
        'detectable: the smallest true difference these n detect with 80% power at the 5% level ((1.96 + 0.84) × the standard error).',
        'paired by seed: run s of every cell shares its init, data order and epoch-0 flips, so the per-seed differences cancel what the seed does.',
        '',
      );
    }
    if (r.epochsToMatch.length > 0) {
      lines.push('Epochs random flip needs to match alternating flip (random flip\'s mean accuracy, linear between budgets; bootstrap 95% CI):', '', '| alternating at | random needs | 95% CI | epochs saved | fraction saved |', '| --- | --- | --- | --- | --- |');
      lines.push(
        ...r.epochsToMatch.map((x) => `| ${x.epochs} | ${x.randomEpochs === null ? (x.position === 'above' ? `>${budgets.at(-1)} (beyond the budgets)` : `<${budgets[0]}`) : x.randomEpochs.toFixed(2)} | ${end(x.ci[0], budgets)}–${end(x.ci[1], budgets)} | ${x.saved === null ? '–' : x.saved.toFixed(2)} | ${x.savedFraction === null ? '–' : `${(x.savedFraction * 100).toFixed(0)}%`} |`),
        '',
      );
    }
    if (withPlots) lines.push(`![](${r.experiment}.png)`, '');
  }
  if (precision.length > 0) {
    lines.push(
      '## bf16 against fp32',
      '',
      'The same cell (preset, network, budget, flip) run with `--precision bf16` and with `--precision fp32`: the difference of the mean accuracies, bf16 − fp32.',
      '',
      '| experiments | epochs | flip | bf16: n, mean (%), std | fp32: n, mean (%), std | bf16 − fp32 (pp) | 95% CI (Welch) | Welch p | permutation p | detectable (pp) | paired by seed |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...precision.map(
        (x) =>
          `| ${x.experiments.bf16} vs ${x.experiments.fp32} | ${x.epochs} | ${x.mode} | ${x.bf16.n}, ${pct(x.bf16.mean)}, ${pct(x.bf16.std)} | ${x.fp32.n}, ${pct(x.fp32.mean)}, ${pct(x.fp32.std)} | ${pct(x.difference)} | ${pct(x.ci[0])} to ${pct(x.ci[1])} | ${p(x.welchP)} | ${p(x.permutationP)} | ${pct(x.detectable)} | ${x.paired ? `${pct(x.paired.mean)} (${pct(x.paired.ci[0])} to ${pct(x.paired.ci[1])}), n ${x.paired.n}` : '–'} |`,
      ),
      '',
    );
  }
  return lines.join('\n');
}
