import { parseArgs } from 'node:util';
import { BACKEND_CHOICES, parseBackendChoice } from '@airbench-ts-example/backend';

// Every flag of `npm run repair`, checked before any work starts.

export const MODELS = ['mlp', 'vgg11', 'resnet20', 'airbench94'] as const;
export type ModelName = (typeof MODELS)[number];
export type Norm = 'batch' | 'layer' | 'none';

/** Each model's default size and training length: minutes per endpoint on 2 CPU cores, on the full training set. */
export const DEFAULTS: Record<ModelName, { width: number; depth?: number; epochs: number; norm: Norm; norms: readonly Norm[] }> = {
  mlp: { width: 128, depth: 10, epochs: 20, norm: 'none', norms: ['none'] },
  vgg11: { width: 0.125, epochs: 8, norm: 'none', norms: ['none'] },
  resnet20: { width: 0.5, epochs: 3, norm: 'batch', norms: ['batch', 'layer'] },
  airbench94: { width: 0.25, epochs: 3, norm: 'batch', norms: ['batch', 'layer', 'none'] },
};

export const HELP = `Usage: npm run repair -- [options]

Paper 3 (REPAIR, Jordan et al. 2022): train two networks with different seeds,
align B's neurons to A's, interpolate, and repair the interpolated network's
statistics; report accuracy and loss at α = 0.5, the barriers, and the relative
barrier reduction, with curves over α and the variance collapse per layer.

Options:
  --model <${MODELS.join('|')}>  default mlp
  --norm <batch|layer|none>  resnet20: batch|layer; airbench94: batch|layer|none; mlp, vgg11: none
  --width <w>               mlp: hidden units (default ${DEFAULTS.mlp.width}); vgg11, resnet20, airbench94: channel multiplier
                            (defaults ${DEFAULTS.vgg11.width}, ${DEFAULTS.resnet20.width}, ${DEFAULTS.airbench94.width})
  --depth <d>               mlp: hidden layers (default ${DEFAULTS.mlp.depth})
  --epochs <e>              training epochs of each endpoint (defaults: mlp ${DEFAULTS.mlp.epochs}, vgg11 ${DEFAULTS.vgg11.epochs}, resnet20 ${DEFAULTS.resnet20.epochs}, airbench94 ${DEFAULTS.airbench94.epochs})
  --align <activations|weights>  activation matching (the paper) or weight matching (Git Re-Basin); default activations
  --alphas <n>              points of the α grid, odd, ≥ 3 (default 5: 0, 0.25, 0.5, 0.75, 1)
  --seed <s>                endpoint A trains from seed s, B from s + 1 (default 0)
  --stat-images <n>         augmented training images per statistics pass, 100 to 50,000 (default 5000)
  --train-subset <n>        train on the first n training images, 500 to 50,000 (default: all 50,000)
  --test-subset <n>         score on the first n test images (default: all 10,000)
  --backend <${BACKEND_CHOICES.join('|')}>  default auto
  --out <dir>               endpoints (cached: the same command reuses them), results, plots (default results/repair)
  --json                    one JSON line per method, then a summary line, on stdout
  -h, --help                this text
`;

export interface Options {
  model: ModelName;
  norm: Norm;
  width: number;
  depth: number;
  epochs: number;
  align: 'activations' | 'weights';
  alphas: number;
  seed: number;
  statImages: number;
  trainSubset?: number;
  testSubset?: number;
  backend?: string;
  out: string;
  json: boolean;
}

export function parseOptions(argv: string[]): Options | { exit: number } {
  const refuse = (message: string) => {
    // One line and where to look, not the whole help: the error stays in view.
    process.stderr.write(`repair: ${message}\nSee 'npm run repair -- --help' for every option.\n`);
    return { exit: 2 };
  };
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        model: { type: 'string', default: 'mlp' },
        norm: { type: 'string' },
        width: { type: 'string' },
        depth: { type: 'string' },
        epochs: { type: 'string' },
        align: { type: 'string', default: 'activations' },
        alphas: { type: 'string', default: '5' },
        seed: { type: 'string', default: '0' },
        'stat-images': { type: 'string', default: '5000' },
        'train-subset': { type: 'string' },
        'test-subset': { type: 'string' },
        backend: { type: 'string' },
        out: { type: 'string', default: 'results/repair' },
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
  if (!(MODELS as readonly string[]).includes(values.model)) return refuse(`--model must be one of ${MODELS.join(', ')}, not '${values.model}'.`);
  const model = values.model as ModelName;
  const defaults = DEFAULTS[model];
  const norm = (values.norm ?? defaults.norm) as Norm;
  if (!defaults.norms.includes(norm)) return refuse(`--norm for ${model} must be ${defaults.norms.join(' or ')}, not '${values.norm}'.`);
  const integer = (flag: string, value: string | undefined, fallback: number, min: number, max: number) => {
    if (value === undefined) return fallback;
    const n = Number(value);
    return Number.isSafeInteger(n) && n >= min && n <= max ? n : `--${flag} must be an integer in [${min}, ${max}], not '${value}'.`;
  };
  const width = values.width === undefined ? defaults.width : Number(values.width);
  if (!(width > 0 && Number.isFinite(width)) || (model === 'mlp' && !Number.isSafeInteger(width))) return refuse(`--width must be ${model === 'mlp' ? 'a positive integer (hidden units)' : 'a positive number (channel multiplier)'}, not '${values.width}'.`);
  const checks = {
    depth: integer('depth', values.depth, defaults.depth ?? 1, 1, 64),
    epochs: integer('epochs', values.epochs, defaults.epochs, 1, 1000),
    alphas: integer('alphas', values.alphas, 5, 3, 101),
    seed: integer('seed', values.seed, 0, 0, 2 ** 31),
    statImages: integer('stat-images', values['stat-images'], 5000, 100, 50_000),
    trainSubset: integer('train-subset', values['train-subset'], 50_000, 500, 50_000),
    testSubset: integer('test-subset', values['test-subset'], 10_000, 100, 10_000),
  };
  for (const value of Object.values(checks)) if (typeof value === 'string') return refuse(value);
  const n = checks as Record<keyof typeof checks, number>;
  if (n.alphas % 2 === 0) return refuse(`--alphas must be odd, so the grid has α = 0.5, not '${values.alphas}'.`);
  if (values.depth !== undefined && model !== 'mlp') return refuse(`--depth is for --model mlp only.`);
  if (!['activations', 'weights'].includes(values.align)) return refuse(`--align must be activations or weights, not '${values.align}'.`);
  if (values.backend !== undefined) {
    try {
      parseBackendChoice(values.backend);
    } catch (error) {
      return refuse((error as Error).message);
    }
  }
  return {
    model,
    norm,
    width,
    depth: n.depth,
    epochs: n.epochs,
    align: values.align as Options['align'],
    alphas: n.alphas,
    seed: n.seed,
    statImages: n.statImages,
    ...(values['train-subset'] !== undefined ? { trainSubset: n.trainSubset } : {}),
    ...(values['test-subset'] !== undefined ? { testSubset: n.testSubset } : {}),
    ...(values.backend !== undefined ? { backend: values.backend } : {}),
    out: values.out,
    json: values.json,
  };
}
