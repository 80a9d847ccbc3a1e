import { parseArgs } from 'node:util';
import { BACKEND_CHOICES, parseBackendChoice } from '@airbench-ts-example/backend';
import { PRESETS, type PresetName } from './presets';

export const HELP = `Usage: npm run variance -- <run|report|worker> [options]

Paper 2 (Jordan 2023): train a narrow airbench94 many times with independent
model, order and augmentation seeds, store every run's test predictions, and
report test-set vs distribution-wise variance.

Commands:
  run       enqueue the runs and work on them with --workers child processes (resumes: finished runs are kept)
  worker    work on an existing experiment's pending runs (another machine, with a postgres:// store)
  report    Markdown + JSON report and SVG/PNG plots of the experiments in the store

Options:
  --experiment <name>        default: <preset>-vary-<vary> (report: every experiment in the store)
  --runs <k>                 runs with seeds 0..k-1, at least 2 (default 200)
  --preset <${Object.keys(PRESETS).join('|')}>  widths, subset, epochs (default cpu; see the README)
  --epochs <e>               override the preset's epochs
  --train-subset <n>         override the preset's training images
  --vary <all|model|order|aug>  which seeds change between runs; the others stay 0 (default all)
  --workers <w>              child processes on this machine (default 1)
  --store <url>              sqlite:<path> or postgres://user:pw@host:5432/db (default sqlite:results/variance.db)
  --backend <${BACKEND_CHOICES.join('|')}>  default auto
  --out <dir>                report: where the report and plots go (default results/variance-report)
  --json                     run: one JSON line per finished run; report: the JSON report on stdout
  -h, --help                 this text
`;

export type Command = 'run' | 'worker' | 'report';
export type Vary = 'all' | 'model' | 'order' | 'aug';

export interface Options {
  command: Command;
  experiment?: string;
  runs: number;
  preset: PresetName;
  epochs?: number;
  trainSubset?: number;
  vary: Vary;
  workers: number;
  store: string;
  backend?: string;
  out: string;
  json: boolean;
}

/** Parses and checks every flag before any work starts; returns an exit code for --help and errors. */
export function parseOptions(argv: string[]): Options | { exit: number } {
  const refuse = (message: string) => {
    // One line and where to look, not the whole help: the error stays in view.
    process.stderr.write(`variance: ${message}\nSee 'npm run variance -- --help' for every option.\n`);
    return { exit: 2 };
  };
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        experiment: { type: 'string' },
        runs: { type: 'string', default: '200' },
        preset: { type: 'string', default: 'cpu' },
        epochs: { type: 'string' },
        'train-subset': { type: 'string' },
        vary: { type: 'string', default: 'all' },
        workers: { type: 'string', default: '1' },
        store: { type: 'string', default: 'sqlite:results/variance.db' },
        backend: { type: 'string' },
        out: { type: 'string', default: 'results/variance-report' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    return refuse((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return { exit: 0 };
  }
  const command = positionals[0];
  if (positionals.length !== 1 || !['run', 'worker', 'report'].includes(command!)) return refuse(`give one command, run, worker or report${command ? `, not '${positionals.join(' ')}'` : ''}.`);
  const integer = (value: string, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const n = Number(value);
    return Number.isSafeInteger(n) && n >= min && n <= max ? n : null;
  };
  const runs = integer(values.runs, 2, 1_000_000);
  if (runs === null) return refuse(`--runs must be an integer ≥ 2, not '${values.runs}'.`);
  const workers = integer(values.workers, 1, 64);
  if (workers === null) return refuse(`--workers must be an integer in [1, 64], not '${values.workers}'.`);
  if (!(values.preset in PRESETS)) return refuse(`--preset must be one of ${Object.keys(PRESETS).join(', ')}, not '${values.preset}'.`);
  if (!['all', 'model', 'order', 'aug'].includes(values.vary)) return refuse(`--vary must be all, model, order or aug, not '${values.vary}'.`);
  if (!/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(values.store)) return refuse(`--store must be sqlite:<path> or postgres://user:pw@host:5432/db, not '${values.store}'.`);
  if (values.experiment !== undefined && !/^[\w.,-]{1,200}$/.test(values.experiment)) return refuse(`--experiment must be letters, digits, '_', '-', '.' (report: a comma-separated list), not '${values.experiment}'.`);
  if (command === 'worker' && values.experiment === undefined) return refuse(`worker needs --experiment: the name the run command printed.`);
  const options: Options = {
    command: command as Command,
    runs,
    preset: values.preset as PresetName,
    vary: values.vary as Vary,
    workers,
    store: values.store,
    out: values.out,
    json: values.json,
  };
  if (values.experiment !== undefined) options.experiment = values.experiment;
  if (values.epochs !== undefined) {
    const epochs = Number(values.epochs);
    if (!(epochs > 0 && Number.isFinite(epochs))) return refuse(`--epochs must be a positive number, not '${values.epochs}'.`);
    options.epochs = epochs;
  }
  if (values['train-subset'] !== undefined) {
    const subset = integer(values['train-subset'], 1, 50_000);
    if (subset === null) return refuse(`--train-subset must be an integer in [1, 50000], not '${values['train-subset']}'.`);
    options.trainSubset = subset;
  }
  if (values.backend !== undefined) {
    try {
      parseBackendChoice(values.backend);
    } catch (error) {
      return refuse((error as Error).message);
    }
    options.backend = values.backend;
  }
  return options;
}
