import { integer, listOf, oneOf, option, parseCommand, positiveNumber, RefusedValue, type Refusal } from '@airbench-ts-example/cli';
import { createStudyCommand, finishStudy, type StudyOptions } from '@airbench-ts-example/harness/study-options';
import { PRESETS, type PresetName } from './presets';

export type Vary = 'all' | 'model' | 'order' | 'aug';

export interface Options extends StudyOptions {
  runs: number;
  preset: PresetName;
  /** Training lengths, each its own experiment (the study of std against training length); default the preset's. */
  epochs?: number[];
  trainSubset?: number;
  vary: Vary;
}

/** Parses and checks every flag before any work starts; returns an exit code for --help and refusals. */
export function parseOptions(argv: string[]): Options | Refusal {
  const command = createStudyCommand(
    {
      name: 'variance',
      description: `Paper 2 (Jordan 2023): train a narrow airbench94 many times with independent
model, order and augmentation seeds, store every run's test predictions, and
report test-set vs distribution-wise variance.`,
      epilogue: `Commands:
  run     enqueue the runs and work on them with --workers child processes (resumes: finished runs are kept)
  worker  work on an existing experiment's pending runs (another machine, with a postgres:// store)
  report  Markdown + JSON report and SVG/PNG plots of the experiments in the store`,
    },
    { store: 'sqlite:results/variance.db', out: 'results/variance-report', experiment: 'run: default <preset>-vary-<vary>' },
  )
    .addOption(option('--runs <k>', 'runs with seeds 0..k-1, at least 2', integer(2, 1_000_000), 200))
    .addOption(option(`--preset <${Object.keys(PRESETS).join('|')}>`, 'widths, subset, epochs (see the README)', oneOf(Object.keys(PRESETS) as PresetName[]), 'cpu' as PresetName))
    .addOption(option('--epochs <e1,e2,...>', "override the preset's epochs; a list runs one experiment per length, in order (e.g. 4,8,16)", epochList))
    .addOption(option('--train-subset <n>', "override the preset's training images", integer(1, 50_000)))
    .addOption(option('--vary <all|model|order|aug>', 'which seeds change between runs; the others stay 0', oneOf(['all', 'model', 'order', 'aug'] as const), 'all' as Vary));
  return parseCommand(command, argv, (values, args, refuse) => {
    const study = finishStudy(values, args, refuse);
    if ('exit' in study) return study;
    const { runs, preset, epochs, trainSubset, vary } = values as Pick<Options, 'runs' | 'preset' | 'epochs' | 'trainSubset' | 'vary'>;
    if (epochs && epochs.length > 1 && study.experiment !== undefined && study.command !== 'report') {
      return refuse(`--experiment names one experiment, and --epochs ${epochs.join(',')} makes one per length: leave --experiment out (each is named <preset>-e<epochs>-n<images>-vary-<vary>).`);
    }
    return { ...study, runs, preset, vary, ...(epochs !== undefined ? { epochs } : {}), ...(trainSubset !== undefined ? { trainSubset } : {}) };
  });
}

/** Distinct positive epoch counts, in the order given. */
function epochList(value: string): number[] {
  const epochs = listOf(positiveNumber, 'positive epoch counts, e.g. 4 or 4,8,16')(value);
  if (new Set(epochs).size !== epochs.length) throw new RefusedValue('must be distinct epoch counts, e.g. 4,8,16');
  return epochs;
}
