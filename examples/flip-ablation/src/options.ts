import { PRECISIONS, type Precision } from '@airbench-ts/airbench-net';
import { integer, listOf, oneOf, option, parseCommand, RefusedValue, type Refusal } from '@airbench-ts-example/cli';
import { createStudyCommand, finishStudy, type StudyOptions } from '@airbench-ts-example/harness/study-options';
import { defaultBudgets } from './experiment';
import { MODES, NETS, PRESETS, type Mode, type Net, type PresetName } from './presets';

export interface Options extends StudyOptions {
  preset: PresetName;
  net: Net;
  budgets: number[];
  modes: Mode[];
  runs: number;
  precision: Precision;
  /** Run a bf16 experiment even where TensorFlow would emulate bf16 (a CPU without AVX-512; see examples/backend). */
  allowEmulatedBf16: boolean;
}

/** Distinct epoch counts in (0, 1000] in steps of 0.1, sorted. */
function budgetList(value: string): number[] {
  const budgets = value.split(',').map(Number);
  if (budgets.some((e) => !(e > 0 && e <= 1000 && Math.abs(e * 10 - Math.round(e * 10)) < 1e-9)) || new Set(budgets).size !== budgets.length) {
    throw new RefusedValue('must be distinct epoch counts in (0, 1000] in steps of 0.1, e.g. 4,8,12,16 or 9.9');
  }
  return budgets.sort((a, b) => a - b);
}

function modeList(value: string): Mode[] {
  const modes = listOf(oneOf(MODES), `distinct flips of ${MODES.join(', ')}`)(value);
  if (new Set(modes).size !== modes.length) throw new RefusedValue(`must be distinct flips of ${MODES.join(', ')}`);
  return modes;
}

/** Parses and checks every flag before any work starts; returns an exit code for --help and refusals. */
export function parseOptions(argv: string[]): Options | Refusal {
  const command = createStudyCommand(
    {
      name: 'flip-ablation',
      description: `The airbench paper's flip ablation (Jordan 2024): train with no flip, random flip and
the alternating flip of @airbench-ts/derand-flip at several epoch budgets, N runs per
cell, on the run-variance harness (resumable, kill-safe, shareable over PostgreSQL);
then the table, the tests and the epochs random flip needs to match alternating.`,
      epilogue: `Commands:
  run     enqueue the cells' runs and work on them with --workers child processes (resumes)
  worker  work on an existing experiment's pending runs (another machine, with a postgres:// store)
  report  Markdown + JSON report and an SVG/PNG plot of accuracy against epochs`,
    },
    { store: 'sqlite:results/flip-ablation.db', out: 'results/flip-ablation-report', experiment: 'run: named after the preset, net and precision' },
  )
    .addOption(option(`--preset <${Object.keys(PRESETS).join('|')}>`, 'the training (full/10k: airbench94 as the paper runs it)', oneOf(Object.keys(PRESETS) as PresetName[]), 'cpu' as PresetName))
    .addOption(option(`--net <${NETS.join('|')}>`, 'the network (vgg11: the models workspace\'s, no airbench in it; airbench95, airbench96, airbench94_muon: their own widths, batch and epochs)', oneOf(NETS), 'airbench94' as Net))
    .addOption(option('--budgets <e1,e2,...>', "epoch budgets (default: the preset's; cpu: 4,8,12,16, full and 10k: 9.9)", budgetList))
    .addOption(option('--modes <m1,m2,...>', `flips, of ${MODES.join(', ')}`, modeList, [...MODES], MODES.join(',')))
    .addOption(option('--runs <n>', 'runs per cell, seeds 0..n-1', integer(1, 100_000), 10))
    .addOption(option(`--precision <${PRECISIONS.join('|')}>`, "airbench94's convolutions", oneOf(PRECISIONS), 'fp32' as Precision))
    .addOption(option('--allow-emulated-bf16', 'run or work on a bf16 experiment even on a CPU without AVX-512, where bf16 is about 11× slower than fp32'));
  return parseCommand(command, argv, (values, args, refuse) => {
    const study = finishStudy(values, args, refuse);
    if ('exit' in study) return study;
    const { preset, net, budgets, modes, runs, precision, allowEmulatedBf16 } = values as Pick<Options, 'preset' | 'net' | 'budgets' | 'modes' | 'runs' | 'precision'> & { budgets?: number[]; allowEmulatedBf16?: boolean };
    if (net !== 'airbench94' && net !== 'vgg11' && preset !== 'full' && preset !== '10k') return refuse(`--net ${net} trains with its own widths and batch size: use --preset full or 10k.`);
    if (precision !== 'fp32' && net === 'vgg11') return refuse(`--precision ${precision} applies to the airbench networks only; vgg11 trains in fp32.`);
    return { ...study, preset, net, budgets: budgets ?? defaultBudgets(preset, net).sort((a, b) => a - b), modes, runs, precision, allowEmulatedBf16: allowEmulatedBf16 === true };
  });
}
