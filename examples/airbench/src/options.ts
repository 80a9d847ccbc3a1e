import { PRECISIONS, type Precision } from '@airbench-ts/airbench-net';
import { backendOption } from '@airbench-ts-example/backend';
import { createCommand, integer, listOf, naming, oneOf, option, parseCommand, positiveNumber, RefusedValue, type Refusal } from '@airbench-ts-example/cli';

export interface Options {
  variant: '94' | '95' | '96' | '96-legacy' | '94-muon';
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

/** `1`, `2epochs`, `50steps` or `off` (false: commander turns a parsed null into ''). */
function checkpointInterval(value: string): NonNullable<Options['checkpointEvery']> | false {
  if (value === 'off') return false;
  const every = /^(\d+)\s*(epochs?|steps?)?$/.exec(value);
  const n = every ? Number(every[1]) : 0;
  if (!(Number.isSafeInteger(n) && n >= 1)) throw new RefusedValue('must be a positive number of epochs (e.g. 1), of steps (e.g. 50steps), or off');
  return every![2]?.startsWith('step') ? { steps: n } : { epochs: n };
}

function svgFile(value: string): string {
  if (!value.endsWith('.svg')) throw new RefusedValue('must name an .svg file');
  return value;
}

/** Parses and checks every flag before any work starts; returns an exit code for --help and refusals. */
export function parseOptions(argv: string[]): Options | Refusal {
  const command = createCommand({ name: 'airbench', description: "Trains airbench on CIFAR-10 (Jordan 2024) and prints airbench's per-epoch table." })
    .addOption(option('--variant <94|95|96|96-legacy|94-muon>', 'network and hyperparameters (94-muon: airbench94_muon.py, the Muon optimiser)', oneOf(['94', '95', '96', '96-legacy', '94-muon'] as const), '94' as Options['variant']))
    .addOption(option('--dataset <cifar10|cifar100>', 'the data; CIFAR-100 from $CIFAR100_DIR, --data-dir or the cache', oneOf(['cifar10', 'cifar100'] as const), 'cifar10' as Options['dataset']))
    .addOption(option('--widths <a,b,c>', "channels of the three conv groups (default: the variant's, 94: 64,256,256)", listOf(integer(1), 'three positive integers like 64,256,256', 3)))
    .addOption(option('--batch-size <n>', "images per step (default: the variant's, 1024); lr and decay stay per 1024 images", integer(1)))
    .addOption(option('--runs <n>', 'runs with seeds seed, seed+1, ...; mean and std at the end', integer(1), 1))
    .addOption(option('--seed <s>', 'first seed', integer(0, 2 ** 32 - 2), 0))
    .addOption(option('--epochs <e>', "override the variant's epochs (94: 9.9)", positiveNumber))
    .addOption(option('--train-subset <n>', 'train on the first n training images, in dataset order', integer(1, 50_000)))
    .addOption(option('--test-subset <n>', 'evaluate on the first n test images (default: all 10,000); for quick runs, the accuracy is then over n images only', integer(1, 10_000)))
    .addOption(option('--tta <0|1|2>', "test-time augmentation level (default: the variant's, 2)", (value) => Number(oneOf(['0', '1', '2'] as const)(value)) as 0 | 1 | 2))
    .addOption(
      option(
        `--precision <auto|${PRECISIONS.join('|')}>`,
        'arithmetic of the convolutions (auto: bf16 on the native CPU backend where the CPU computes bf16 natively, AMX or AVX512-BF16, as airbench trains in reduced precision; fp32 elsewhere); the record names the precision used',
        oneOf(['auto', ...PRECISIONS] as const),
        'auto' as Options['precision'],
      ),
    )
    .addOption(backendOption())
    .addOption(option('--data-dir <dir>', 'CIFAR-10 in the official binary layout (default: $CIFAR10_DIR, the cache, a download)', naming('a directory')))
    .addOption(option('--out <file.jsonl>', 'append each finished run; runs already there are skipped (resume)', naming('a file')))
    .addOption(option('--plot <file.svg>', 'per-epoch curves of the runs, as <file>.svg and <file>.png (default: next to --out)', svgFile))
    .addOption(option('--checkpoint-dir <dir>', 'where runs keep checkpoints (default: checkpoints/ beside --out, else beside --save, else ~/.cache/airbench-ts/checkpoints); an interrupted run resumes from its newest checkpoint when the same command runs again', naming('a directory')))
    .addOption(option('--checkpoint-every <n[steps]>', 'a checkpoint every n epochs (e.g. 1) or n steps (e.g. 50steps); off for none', checkpointInterval, { epochs: 1 } as Options['checkpointEvery'], '1'))
    .addOption(option('--keep-checkpoints', "keep a run's checkpoints after it finishes (default: removed)"))
    .addOption(option('--save <dir>', "write each trained model to <dir>/seed-<s>/ (model.json + weights, tfjs's weight encoding; loadModel from @airbench-ts/airbench-net/node, or a browser)", naming('a directory')))
    .addOption(option('--json', 'one JSON line per run on stdout (the table moves to stderr)'));
  return parseCommand(command, argv, (values, _args, refuse) => {
    const options = values as Omit<Options, 'json' | 'keepCheckpoints' | 'checkpointEvery'> & { checkpointEvery: Options['checkpointEvery'] | false };
    if (options.seed + options.runs > 2 ** 32 - 1) return refuse(`--seed must be an integer in [0, 2^32 - runs), not '${options.seed}'.`);
    return { ...options, checkpointEvery: options.checkpointEvery || null, keepCheckpoints: values.keepCheckpoints === true, json: values.json === true };
  });
}
