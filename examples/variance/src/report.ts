import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  calibrationTable,
  correctnessMatrix,
  exampleAccuracies,
  poissonBinomial,
  splitHalfAccuracies,
  varianceReport,
  type Experiment,
  type RunStore,
  type VarianceReport,
} from '@airbench-ts/run-variance';
import { claimsMarkdown } from './claims';
import type { VarianceConfig } from './experiment';
import type { Options } from './options';
import { writePlot } from '@airbench-ts-example/plot';
import { augmentationSpec, binStep, calibrationSpec, histogramSpec, scatterSpec, stdVsEpochsSpec } from './plots';

export interface ExperimentReport extends VarianceReport {
  experiment: string;
  /** The stored config: this example's, or the flip ablation's (see studyOf). */
  config: VarianceConfig | Record<string, unknown>;
  /** Which seeds vary between runs, and the training length in epochs. */
  vary: string;
  epochs: number;
  /** A cell of the flip ablation: its experiment and its flip (the augmentation the runs differ in). */
  cell?: { of: string; flip: string };
  /** Mean seconds of a run (training + evaluation) and the backends used. */
  secondsPerRun: number;
  backends: string[];
  failed: number;
  /** Ensemble class-wise calibration: mean vote share vs the fraction where that class is the label, per bin. */
  calibration: { voteShare: number; accuracy: number; count: number }[];
  /** Expected calibration error of the vote share: Σ over bins of (count / total)·|vote share − accuracy|. */
  ece: number;
  plots: string[];
}

/** The report of every (or each named) experiment: Markdown, JSON, and SVG + PNG plots in --out. */
export async function writeReport(store: RunStore, options: Options): Promise<number> {
  const experiments = options.experiment ? await Promise.all(options.experiment.split(',').map((name) => store.getExperiment(name))) : await store.experiments();
  const reports: ExperimentReport[] = [];
  const ready: { experiment: Experiment; study: Study }[] = [];
  for (const experiment of experiments) {
    const studies = await studiesOf(store, experiment);
    if ('skip' in studies) process.stderr.write(`variance: '${experiment.name}' ${studies.skip}; left out of the report.\n`);
    else if ((await store.counts(experiment)).done < 3) process.stderr.write(`variance: '${experiment.name}' has fewer than 3 finished runs; left out of the report.\n`);
    else ready.push(...studies.map((study) => ({ experiment, study })));
  }
  if (ready.length === 0) {
    // Nothing written: a failed report leaves no --out folder behind.
    process.stderr.write(`variance: no experiment in ${options.store} has 3 or more finished runs yet; run some first.\n`);
    return 1;
  }
  mkdirSync(options.out, { recursive: true });
  for (const { experiment, study } of ready) {
    const report = await reportOf(store, experiment, options.out, study);
    if (report) reports.push(report);
  }
  // Test-set vs distribution-wise std per training length: one configuration's lengths (a flip ablation's cells are
  // three augmentations at each length, compared in claim 4's rows instead).
  const budgets = reports
    .filter((r) => r.vary === 'all' && !r.cell)
    .flatMap((r) => [
      { epochs: r.epochs, experiment: r.experiment, what: 'test-set std', std: r.stdAccuracy },
      { epochs: r.epochs, experiment: r.experiment, what: 'IEA std', std: r.ieaStd },
      { epochs: r.epochs, experiment: r.experiment, what: 'distribution-wise std (95% CI)', std: r.distributionWiseStd, low: r.distributionWiseCI.std[0], high: r.distributionWiseCI.std[1] },
    ]);
  const own = reports.filter((r) => !r.cell);
  const shared = own.length > 0 ? [await writePlot(join(options.out, 'calibration'), calibrationSpec(own.flatMap((r) => r.calibration.map((c) => ({ experiment: r.experiment, ...c })))))] : [];
  if (budgets.length > 0) shared.push(await writePlot(join(options.out, 'std-vs-epochs'), stdVsEpochsSpec(budgets)));
  const cells = reports.filter((r) => r.cell);
  if (cells.length > 0) {
    const rows = cells.flatMap((r) => [
      { epochs: r.epochs, flip: r.cell!.flip, what: 'test-set std', std: r.stdAccuracy, low: r.stdAccuracy, high: r.stdAccuracy },
      { epochs: r.epochs, flip: r.cell!.flip, what: 'distribution-wise std (95% CI)', std: r.distributionWiseStd, low: r.distributionWiseCI.std[0], high: r.distributionWiseCI.std[1] },
    ]);
    shared.push(await writePlot(join(options.out, 'augmentation'), augmentationSpec(rows)));
  }
  const json = { generated: new Date().toISOString(), store: options.store, experiments: reports, plots: shared.map((p) => p.svg) };
  writeFileSync(join(options.out, 'report.json'), `${JSON.stringify(json, null, 2)}\n`);
  const command = `npm run variance -- report --store ${options.store}${options.experiment ? ` --experiment ${options.experiment}` : ''} --out ${options.out}`;
  writeFileSync(join(options.out, 'report.md'), markdown(reports, shared.map((p) => p.png), command));
  if (options.json) process.stdout.write(`${JSON.stringify(json)}\n`);
  else process.stdout.write(`${markdown(reports, [], command)}\nwritten: ${join(options.out, 'report.md')}, report.json and the plots (SVG and PNG)\n`);
  return 0;
}

/** What one report covers: which seeds vary, for how many epochs, and (a flip ablation's cell) which runs. */
interface Study {
  name: string;
  vary: string;
  epochs: number;
  cell?: { of: string; flip: string };
  keep?: (seeds: Record<string, unknown>) => boolean;
}

/**
 * Which seeds vary and for how many epochs: from this example's config, or from an experiment of the flip
 * ablation (examples/flip-ablation), whose run s uses seeds (s, s, s), this study's "vary all". An experiment of
 * one cell (one budget, one flip: e.g. the headline runs) is reported as it is; one that holds several is
 * reported per cell (`<name>-e<epochs>-<flip>`), so that claim 4 can set the flips of each budget side by side.
 */
async function studiesOf(store: RunStore, experiment: Experiment): Promise<Study[] | { skip: string }> {
  const config = experiment.config as Record<string, unknown>;
  if (typeof config.vary === 'string' && typeof config.epochs === 'number') return [{ name: experiment.name, vary: config.vary, epochs: config.epochs }];
  if (config.study !== 'flip-ablation') return { skip: 'is no variance or flip-ablation experiment (its config names no seeds that vary)' };
  const epochsOf = (seeds: Record<string, unknown>) => (seeds.epochs as number | undefined) ?? ((seeds.epochTenths as number | undefined) ?? NaN) / 10;
  const cells = new Map<string, { epochs: number; flip: string }>();
  const flipOf = (seeds: Record<string, unknown>) => FLIPS[seeds.flip as number] ?? `flip ${String(seeds.flip)}`;
  for (const { seeds } of await store.runs(experiment)) cells.set(`${epochsOf(seeds)}/${flipOf(seeds)}`, { epochs: epochsOf(seeds), flip: flipOf(seeds) });
  if (cells.size === 1) return [{ name: experiment.name, vary: 'all', epochs: [...cells.values()][0]!.epochs }];
  return [...cells.values()]
    .sort((a, b) => a.epochs - b.epochs || FLIPS.indexOf(a.flip) - FLIPS.indexOf(b.flip))
    .map(({ epochs, flip }) => ({ name: `${experiment.name}-e${epochs}-${flip}`, vary: 'all', epochs, cell: { of: experiment.name, flip }, keep: (seeds) => epochsOf(seeds) === epochs && flipOf(seeds) === flip }));
}
/** The flip ablation stores a run's flip as its index in this list (its presets' MODES). */
const FLIPS = ['none', 'random', 'alternating'];

async function reportOf(store: RunStore, experiment: Experiment, out: string, { name, keep, ...study }: Study): Promise<ExperimentReport | null> {
  const runs = (await store.runs(experiment, { withPredictions: true })).filter((r) => !keep || keep(r.seeds));
  const done = runs.filter((r) => r.state === 'done' && r.predictions);
  if (done.length < 3) return null;
  const predictions = done.map((r) => r.predictions!);
  const matrix = correctnessMatrix(predictions, experiment.labels);
  const report = varianceReport(matrix, { seed: 0 });
  const n = matrix.examples;
  // The IEA's distribution of the accuracy, scaled to the histogram: runs per bin.
  const pmf = poissonBinomial(exampleAccuracies(matrix));
  const step = binStep(done.map((r) => r.accuracy!)) / 100;
  const iea: { accuracy: number; runs: number }[] = [];
  pmf.forEach((p, j) => {
    if (p > 1e-6) iea.push({ accuracy: j / n, runs: p * done.length * step * n });
  });
  const halves = splitHalfAccuracies(matrix, 0);
  const plots = [
    await writePlot(join(out, `${name}-histogram`), histogramSpec(`${name}: accuracy over ${done.length} runs, and the IEA`, done.map((r) => r.accuracy!), iea)),
    await writePlot(join(out, `${name}-split-half`), scatterSpec(`${name}: split-half accuracies (r = ${report.splitHalf.correlation.toFixed(2)})`, Array.from(halves.first, (first, k) => ({ first, second: halves.second[k]! })))),
  ];
  const calibration = calibrationTable(predictions, experiment.labels, { classes: 10, bins: 10 })
    .filter((b) => b.count > 0)
    .map((b) => ({ voteShare: b.meanVoteShare, accuracy: b.accuracy, count: b.count }));
  const total = calibration.reduce((s, b) => s + b.count, 0);
  const ece = calibration.reduce((s, b) => s + (b.count / total) * Math.abs(b.voteShare - b.accuracy), 0);
  return {
    experiment: name,
    config: experiment.config as VarianceConfig | Record<string, unknown>,
    ...study,
    ...report,
    secondsPerRun: done.reduce((s, r) => s + (r.seconds ?? 0), 0) / done.length,
    backends: [...new Set(done.map((r) => r.backend ?? '?'))],
    failed: runs.filter((r) => r.state === 'failed').length,
    calibration,
    ece,
    plots: plots.map((p) => p.svg),
  };
}

/** What the figures of one experiment say about the paper's claims, in words. */
function reading(r: ExperimentReport): string {
  const share = r.stdAccuracy > 0 ? r.ieaStd / r.stdAccuracy : NaN;
  const [low, high] = r.distributionWiseCI.std;
  const verdict =
    low === 0
      ? 'σ_D cannot be told from 0: the spread between runs is what a finite test set gives when errors are independent, as the paper finds for converged trainings (test-set variance, not distribution-wise).'
      : r.distributionWiseStd > 0.5 * r.stdAccuracy
        ? 'Most of the spread is distribution-wise: runs of this training really differ on the whole distribution, not only on this test set: the under-trained regime, where the paper does not claim small distribution-wise variance.'
        : 'σ_D is above 0 but below half the test-set std: some distribution-wise variance remains at this training length.';
  return [
    `**${r.experiment}** (${r.runs} runs, vary ${r.vary}, ${r.epochs} epochs): test-set std ${pct(r.stdAccuracy)}; independent errors predict ${pct(r.ieaStd)} (${(share * 100).toFixed(0)}% of it); σ_D ${pct(r.distributionWiseStd)}, 95% CI ${pct(low)}–${pct(high)}; split-half r ${r.splitHalf.correlation.toFixed(2)}. ${verdict}`,
    `Calibration of the ensemble's vote share: ECE ${r.ece.toFixed(4)} over ${r.calibration.length} bins (0 is perfectly class-wise calibrated, the premise of the paper's calibration argument).`,
    '',
    ...r.plots.map((svg) => {
      const png = svg.replace(/\.svg$/, '.png').split('/').pop()!;
      return `![${png.replace(/\.png$/, '')}](${png})`;
    }),
    '',
  ].join('\n');
}

const pct = (x: number, digits = 3) => `${(x * 100).toFixed(digits)}%`;

function markdown(reports: ExperimentReport[], images: string[], command: string): string {
  const lines = [
    '# Variance between runs (Jordan 2023) at CPU scale',
    '',
    '| experiment | vary | epochs | runs | mean acc | std (test set) | IEA std | σ_D (95% CI) | split-half r | √(err/2n) | s/run |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...reports.map(
      (r) =>
        `| ${r.experiment} | ${r.vary} | ${r.epochs} | ${r.runs} | ${pct(r.meanAccuracy, 2)} | ${pct(r.stdAccuracy)} | ${pct(r.ieaStd)} | ${pct(r.distributionWiseStd)} (${pct(r.distributionWiseCI.std[0])}–${pct(r.distributionWiseCI.std[1])}) | ${r.splitHalf.correlation.toFixed(3)} | ${pct(r.binaryCalibrationStd)} | ${r.secondsPerRun.toFixed(1)} |`,
    ),
    '',
    'std: across runs of the accuracy on the 10,000 test images. IEA std: what independent errors with each',
    "example's own accuracy p̂ᵢ predict. σ_D: distribution-wise std, √max(V̂_D, 0), with a seeded bootstrap CI over runs.",
    'split-half r: correlation across runs of the accuracies on two random halves of the test set (≈ 0 when σ_D ≈ 0).',
    '√(err/2n): the binary-calibration formula (docs/papers.md §2.4).',
    '',
    ...claimsMarkdown(reports, command),
    '## What each experiment says',
    '',
    ...reports.map(reading),
    '## All experiments together',
    '',
    ...images.map((png) => `![${png.split('/').pop()!.replace(/\.png$/, '')}](${png.split('/').pop()})`),
    '',
  ];
  return lines.join('\n');
}
