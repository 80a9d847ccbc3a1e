import { parseArgs } from 'node:util';
import { PRECISIONS, type Precision } from '@airbench-ts/airbench-net';
import { BACKEND_CHOICES, parseBackendChoice } from '@airbench-ts-example/backend';

export const HELP = `Usage: npm run airbench -- [options]

Trains airbench on CIFAR-10 (Jordan 2024) and prints airbench's per-epoch table.

Options:
  --variant <94|95|96|96-legacy>  network and hyperparameters (default 94)
  --dataset <cifar10|cifar100>    the data (default cifar10); CIFAR-100 from $CIFAR100_DIR, --data-dir or the cache
  --widths <a,b,c>                channels of the three conv groups (default: the variant's, 94: 64,256,256)
  --batch-size <n>                images per step (default: the variant's, 1024); lr and decay stay per 1024 images
  --runs <n>                      runs with seeds seed, seed+1, ... (default 1); mean and std at the end
  --seed <s>                      first seed (default 0)
  --epochs <e>                    override the variant's epochs (94: 9.9)
  --train-subset <n>              train on the first n training images, in dataset order
  --test-subset <n>               evaluate on the first n test images (default: all 10,000); for quick runs,
                                  the accuracy is then over n images only
  --tta <0|1|2>                   test-time augmentation level (default: the variant's, 2)
  --precision <auto|fp32|bf16>    arithmetic of the convolutions (default auto: bf16 on the native CPU backend where
                                  the CPU computes bf16 natively, AMX or AVX512-BF16, as airbench trains in reduced
                                  precision; fp32 elsewhere); the record names the precision used
  --backend <${BACKEND_CHOICES.join('|')}>  default auto, or $AIRBENCH_BACKEND
  --data-dir <dir>                CIFAR-10 in the official binary layout (default: $CIFAR10_DIR, the cache, a download)
  --out <file.jsonl>              append each finished run; runs already there are skipped (resume)
  --plot <file.svg>               per-epoch curves of the runs, as <file>.svg and <file>.png (default: next to
                                  --out)
  --checkpoint-dir <dir>          where runs keep checkpoints (default: checkpoints/ beside --out, else beside
                                  --save, else ~/.cache/airbench-ts/checkpoints); an interrupted run resumes from
                                  its newest checkpoint when the same command runs again
  --checkpoint-every <n[steps]>   a checkpoint every n epochs (e.g. 1, the default) or n steps (e.g. 50steps); off
                                  for none
  --keep-checkpoints              keep a run's checkpoints after it finishes (default: removed)
  --save <dir>                    write each trained model to <dir>/seed-<s>/ (model.json + weights, tfjs's
                                  weight encoding; loadModel from @airbench-ts/airbench-net/node, or a browser)
  --json                          one JSON line per run on stdout (the table moves to stderr)
  -h, --help                      this text
`;

export interface Options {
  variant: '94' | '95' | '96' | '96-legacy';
  dataset: 'cifar10' | 'cifar100';
  widths?: [number, number, number];
  batchSize?: number;
  runs: number;
  seed: number;
  epochs?: number;
  trainSubset?: number;
  testSubset?: number;
  tta?: 0 | 1 | 2;
  /** 'auto' is resolved once the backend is known (main). */
  precision: Precision | 'auto';
  backend?: string;
  dataDir?: string;
  out?: string;
  plot?: string;
  save?: string;
  checkpointDir?: string;
  /** Epochs or steps between checkpoints; null: none. */
  checkpointEvery: { epochs: number } | { steps: number } | null;
  keepCheckpoints: boolean;
  json: boolean;
}

/** Parses and checks every flag before any work starts; returns an exit code for --help and errors. */
export function parseOptions(argv: string[]): Options | { exit: number } {
  const refuse = (message: string) => {
    // One line and where to look, not the whole help: the error stays in view.
    process.stderr.write(`airbench: ${message}\nSee 'npm run airbench -- --help' for every option.\n`);
    return { exit: 2 };
  };
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        variant: { type: 'string', default: '94' },
        dataset: { type: 'string', default: 'cifar10' },
        widths: { type: 'string' },
        'batch-size': { type: 'string' },
        runs: { type: 'string', default: '1' },
        seed: { type: 'string', default: '0' },
        epochs: { type: 'string' },
        'train-subset': { type: 'string' },
        'test-subset': { type: 'string' },
        tta: { type: 'string' },
        precision: { type: 'string', default: 'auto' },
        backend: { type: 'string' },
        'data-dir': { type: 'string' },
        out: { type: 'string' },
        plot: { type: 'string' },
        save: { type: 'string' },
        'checkpoint-dir': { type: 'string' },
        'checkpoint-every': { type: 'string', default: '1' },
        'keep-checkpoints': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    return refuse((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return { exit: 0 };
  }
  if (!['94', '95', '96', '96-legacy'].includes(values.variant)) return refuse(`--variant must be 94, 95, 96 or 96-legacy, not '${values.variant}'.`);
  const integer = (value: string, min: number) => {
    const n = Number(value);
    return Number.isSafeInteger(n) && n >= min ? n : null;
  };
  const runs = integer(values.runs, 1);
  if (runs === null) return refuse(`--runs must be a positive integer, not '${values.runs}'.`);
  const seed = integer(values.seed, 0);
  if (seed === null || seed >= 2 ** 32 - runs) return refuse(`--seed must be an integer in [0, 2^32), not '${values.seed}'.`);
  if (!['cifar10', 'cifar100'].includes(values.dataset)) return refuse(`--dataset must be cifar10 or cifar100, not '${values.dataset}'.`);
  if (!['auto', ...PRECISIONS].includes(values.precision)) return refuse(`--precision must be auto, ${PRECISIONS.join(' or ')}, not '${values.precision}'.`);
  const every = /^(\d+)\s*(epochs?|steps?)?$/.exec(values['checkpoint-every']);
  const everyN = every ? integer(every[1]!, 1) : null;
  if (values['checkpoint-every'] !== 'off' && everyN === null) {
    return refuse(`--checkpoint-every must be a positive number of epochs (e.g. 1), of steps (e.g. 50steps), or off, not '${values['checkpoint-every']}'.`);
  }
  const checkpointEvery = everyN === null ? null : every![2]?.startsWith('step') ? { steps: everyN } : { epochs: everyN };
  if (values['checkpoint-dir'] !== undefined && values['checkpoint-dir'].trim() === '') return refuse(`--checkpoint-dir must name a directory, not ''.`);
  const options: Options = {
    variant: values.variant as Options['variant'],
    dataset: values.dataset as Options['dataset'],
    runs,
    seed,
    precision: values.precision as Options['precision'],
    checkpointEvery,
    keepCheckpoints: values['keep-checkpoints'],
    ...(values['checkpoint-dir'] !== undefined ? { checkpointDir: values['checkpoint-dir'] } : {}),
    json: values.json,
  };
  if (values.widths !== undefined) {
    const widths = values.widths.split(',').map((w) => integer(w, 1));
    if (widths.length !== 3 || widths.some((w) => w === null)) return refuse(`--widths must be three positive integers like 64,256,256, not '${values.widths}'.`);
    options.widths = widths as [number, number, number];
  }
  if (values['batch-size'] !== undefined) {
    const batchSize = integer(values['batch-size'], 1);
    if (batchSize === null) return refuse(`--batch-size must be a positive integer, not '${values['batch-size']}'.`);
    options.batchSize = batchSize;
  }
  if (values.epochs !== undefined) {
    const epochs = Number(values.epochs);
    if (!(epochs > 0) || !Number.isFinite(epochs)) return refuse(`--epochs must be a positive number, not '${values.epochs}'.`);
    options.epochs = epochs;
  }
  if (values['train-subset'] !== undefined) {
    const subset = integer(values['train-subset'], 1);
    if (subset === null || subset > 50_000) return refuse(`--train-subset must be an integer in [1, 50000], not '${values['train-subset']}'.`);
    options.trainSubset = subset;
  }
  if (values['test-subset'] !== undefined) {
    const subset = integer(values['test-subset'], 1);
    if (subset === null || subset > 10_000) return refuse(`--test-subset must be an integer in [1, 10000], not '${values['test-subset']}'.`);
    options.testSubset = subset;
  }
  if (values.tta !== undefined) {
    if (!['0', '1', '2'].includes(values.tta)) return refuse(`--tta must be 0, 1 or 2, not '${values.tta}'.`);
    options.tta = Number(values.tta) as 0 | 1 | 2;
  }
  if (values.backend !== undefined) {
    try {
      parseBackendChoice(values.backend);
    } catch (error) {
      return refuse((error as Error).message);
    }
    options.backend = values.backend;
  }
  if (values['data-dir'] !== undefined) options.dataDir = values['data-dir'];
  if (values.out !== undefined) options.out = values.out;
  if (values.save !== undefined) {
    if (values.save.trim() === '') return refuse(`--save must name a directory, not ''.`);
    options.save = values.save;
  }
  if (values.plot !== undefined) {
    if (!values.plot.endsWith('.svg')) return refuse(`--plot must name an .svg file, not '${values.plot}'.`);
    options.plot = values.plot;
  }
  return options;
}
