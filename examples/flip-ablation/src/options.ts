import { parseArgs } from 'node:util';
import { PRECISIONS, type Precision } from '@airbench-ts/airbench-net';
import { BACKEND_CHOICES, parseBackendChoice } from '@airbench-ts-example/backend';
import { MODES, NETS, PRESETS, type Mode, type Net, type PresetName } from './presets';

export const HELP = `Usage: npm run flip-ablation -- <run|report|worker> [options]

The airbench paper's flip ablation (Jordan 2024): train with no flip, random flip and
the alternating flip of @airbench-ts/derand-flip at several epoch budgets, N runs per
cell, on the run-variance harness (resumable, kill-safe, shareable over PostgreSQL);
then the table, the tests and the epochs random flip needs to match alternating.

Commands:
  run       enqueue the cells' runs and work on them with --workers child processes (resumes)
  worker    work on an existing experiment's pending runs (another machine, with a postgres:// store)
  report    Markdown + JSON report and an SVG/PNG plot of accuracy against epochs

Options:
  --preset <${Object.keys(PRESETS).join('|')}>  the training (default cpu; full/10k: airbench94 as the paper runs it)
  --net <${NETS.join('|')}>      the network (default airbench94; vgg11: the repair example's, no airbench in it)
  --budgets <e1,e2,...>       epoch budgets (default: the preset's; cpu: 4,8,12,16, full and 10k: 9.9)
  --modes <m1,m2,...>         flips, of ${MODES.join(', ')} (default all three)
  --runs <n>                  runs per cell, seeds 0..n-1 (default 10)
  --precision <${PRECISIONS.join('|')}>     airbench94's convolutions (default fp32)
  --workers <w>               child processes on this machine (default 1)
  --store <url>               sqlite:<path> or postgres://user:pw@host:5432/db (default sqlite:results/flip-ablation.db)
  --experiment <name>         worker: the experiment; report: a comma-separated list (default: all in the store)
  --backend <${BACKEND_CHOICES.join('|')}>  default auto
  --out <dir>                 report: where the report and plots go (default results/flip-ablation-report)
  --json                      run: one JSON line per finished run; report: the JSON report on stdout
  -h, --help                  this text
`;

export type Command = 'run' | 'worker' | 'report';

export interface Options {
  command: Command;
  preset: PresetName;
  net: Net;
  budgets: number[];
  modes: Mode[];
  runs: number;
  precision: Precision;
  workers: number;
  store: string;
  experiment?: string;
  backend?: string;
  out: string;
  json: boolean;
}

/** Parses and checks every flag before any work starts; returns an exit code for --help and errors. */
export function parseOptions(argv: string[]): Options | { exit: number } {
  const refuse = (message: string) => {
    // One line and where to look, not the whole help: the error stays in view.
    process.stderr.write(`flip-ablation: ${message}\nSee 'npm run flip-ablation -- --help' for every option.\n`);
    return { exit: 2 };
  };
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        preset: { type: 'string', default: 'cpu' },
        net: { type: 'string', default: 'airbench94' },
        budgets: { type: 'string' },
        modes: { type: 'string', default: MODES.join(',') },
        runs: { type: 'string', default: '10' },
        precision: { type: 'string', default: 'fp32' },
        workers: { type: 'string', default: '1' },
        store: { type: 'string', default: 'sqlite:results/flip-ablation.db' },
        experiment: { type: 'string' },
        backend: { type: 'string' },
        out: { type: 'string', default: 'results/flip-ablation-report' },
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
  if (!(values.preset in PRESETS)) return refuse(`--preset must be one of ${Object.keys(PRESETS).join(', ')}, not '${values.preset}'.`);
  const preset = values.preset as PresetName;
  if (!(NETS as readonly string[]).includes(values.net)) return refuse(`--net must be one of ${NETS.join(', ')}, not '${values.net}'.`);
  const budgets = values.budgets === undefined ? PRESETS[preset].budgets : values.budgets.split(',').map(Number);
  if (budgets.length === 0 || budgets.some((e) => !(e > 0 && e <= 1000 && Math.abs(e * 10 - Math.round(e * 10)) < 1e-9)) || new Set(budgets).size !== budgets.length) return refuse(`--budgets must be distinct epoch counts in (0, 1000] in steps of 0.1, e.g. 4,8,12,16 or 9.9, not '${values.budgets}'.`);
  const modes = values.modes.split(',');
  const unknown = modes.filter((m) => !(MODES as readonly string[]).includes(m));
  if (modes.length === 0 || unknown.length > 0 || new Set(modes).size !== modes.length) return refuse(`--modes must be distinct flips of ${MODES.join(', ')}, not '${values.modes}'.`);
  const integer = (value: string, min: number, max: number) => {
    const n = Number(value);
    return Number.isSafeInteger(n) && n >= min && n <= max ? n : null;
  };
  const runs = integer(values.runs, 1, 100_000);
  if (runs === null) return refuse(`--runs must be an integer ≥ 1, not '${values.runs}'.`);
  const workers = integer(values.workers, 1, 64);
  if (workers === null) return refuse(`--workers must be an integer in [1, 64], not '${values.workers}'.`);
  if (!(PRECISIONS as readonly string[]).includes(values.precision)) return refuse(`--precision must be one of ${PRECISIONS.join(', ')}, not '${values.precision}'.`);
  if (values.precision !== 'fp32' && values.net !== 'airbench94') return refuse(`--precision ${values.precision} applies to airbench94 only; vgg11 trains in fp32.`);
  if (!/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(values.store)) return refuse(`--store must be sqlite:<path> or postgres://user:pw@host:5432/db, not '${values.store}'.`);
  if (values.experiment !== undefined && !/^[\w.,-]{1,200}$/.test(values.experiment)) return refuse(`--experiment must be letters, digits, '_', '-', '.' (report: a comma-separated list), not '${values.experiment}'.`);
  if (command === 'worker' && values.experiment === undefined) return refuse('worker needs --experiment: the name the run command printed.');
  if (values.backend !== undefined) {
    try {
      parseBackendChoice(values.backend);
    } catch (error) {
      return refuse((error as Error).message);
    }
  }
  return {
    command: command as Command,
    preset,
    net: values.net as Net,
    budgets: [...budgets].sort((a, b) => a - b),
    modes: modes as Mode[],
    runs,
    precision: values.precision as Precision,
    workers,
    store: values.store,
    out: values.out,
    json: values.json,
    ...(values.experiment !== undefined ? { experiment: values.experiment } : {}),
    ...(values.backend !== undefined ? { backend: values.backend } : {}),
  };
}
