import { backendOption } from '@airbench-ts-example/backend';
import { createCommand, integer, listOf, oneOf, option, parseCommand, positiveNumber, RefusedValue, type Refusal } from '@airbench-ts-example/cli';

// Every flag of `npm run repair`, checked before any work starts.

export const MODELS = ['mlp', 'vgg11', 'resnet20', 'airbench94'] as const;
export type ModelName = (typeof MODELS)[number];
export type Norm = 'batch' | 'layer' | 'none';
export const ALIGNS = ['activations', 'weights'] as const;
export type Align = (typeof ALIGNS)[number];

/** Each model's default size and training length: minutes per endpoint on 2 CPU cores, on the full training set. */
export const DEFAULTS: Record<ModelName, { width: number; depth?: number; epochs: number; norm: Norm; norms: readonly Norm[] }> = {
  mlp: { width: 128, depth: 10, epochs: 20, norm: 'none', norms: ['none'] },
  vgg11: { width: 0.125, epochs: 8, norm: 'none', norms: ['none'] },
  resnet20: { width: 0.5, epochs: 3, norm: 'batch', norms: ['batch', 'layer'] },
  airbench94: { width: 0.25, epochs: 3, norm: 'batch', norms: ['batch', 'layer', 'none'] },
};

export interface Options {
  model: ModelName;
  norm: Norm;
  width: number;
  depth: number;
  epochs: number;
  /** One study per alignment, on the same endpoints. */
  align: Align[];
  alphas: number;
  seed: number;
  statImages: number;
  trainSubset?: number;
  testSubset?: number;
  backend?: string;
  out: string;
  json: boolean;
}

const DESCRIPTION = `Paper 3 (REPAIR, Jordan et al. 2022): train two networks with different seeds,
align B's neurons to A's, interpolate, and repair the interpolated network's
statistics; report accuracy and loss at α = 0.5, the barriers, and the relative
barrier reduction, with curves over α and the variance collapse per layer.`;

/** A number of epochs: fractional (airbench94 trains 9.9), above 0, at most 1000. */
function epochCount(value: string): number {
  const n = positiveNumber(value);
  if (n > 1000) throw new RefusedValue('must be at most 1000');
  return n;
}

/** Parses and checks every flag before any work starts; returns an exit code for --help and refusals. */
export function parseOptions(argv: string[]): Options | Refusal {
  const d = DEFAULTS;
  const command = createCommand({ name: 'repair', description: DESCRIPTION })
    .addOption(option(`--model <${MODELS.join('|')}>`, 'the architecture', oneOf(MODELS), 'mlp' as ModelName))
    .addOption(option('--norm <batch|layer|none>', 'resnet20: batch|layer; airbench94: batch|layer|none; mlp, vgg11: none (default: the model\'s first)', oneOf(['batch', 'layer', 'none'] as const)))
    .addOption(option('--width <w>', `mlp: hidden units (default ${d.mlp.width}); vgg11, resnet20, airbench94: channel multiplier (defaults ${d.vgg11.width}, ${d.resnet20.width}, ${d.airbench94.width})`, positiveNumber))
    .addOption(option('--depth <d>', `mlp: hidden layers (default ${d.mlp.depth})`, integer(1, 64)))
    .addOption(option('--epochs <e>', `training epochs of each endpoint, fractions allowed (e.g. airbench94's headline 9.9), at most 1000 (defaults: mlp ${d.mlp.epochs}, vgg11 ${d.vgg11.epochs}, resnet20 ${d.resnet20.epochs}, airbench94 ${d.airbench94.epochs})`, epochCount))
    .addOption(option('--align <list>', 'activations (the paper\'s activation matching), weights (Git Re-Basin\'s weight matching), or both, comma-separated: one study each on the same endpoints', listOf(oneOf(ALIGNS), 'activations, weights, or both comma-separated'), ['activations'] as Align[], 'activations'))
    .addOption(option('--alphas <n>', 'points of the α grid, odd, ≥ 3 (5: 0, 0.25, 0.5, 0.75, 1)', integer(3, 101), 5))
    .addOption(option('--seed <s>', 'endpoint A trains from seed s, B from s + 1', integer(0, 2 ** 31), 0))
    .addOption(option('--stat-images <n>', 'augmented training images per statistics pass, 100 to 50,000', integer(100, 50_000), 5000))
    .addOption(option('--train-subset <n>', 'train on the first n training images, 500 to 50,000 (default: all 50,000)', integer(500, 50_000)))
    .addOption(option('--test-subset <n>', 'score on the first n test images (default: all 10,000)', integer(100, 10_000)))
    .addOption(backendOption())
    .addOption(option('--out <dir>', 'endpoints (cached: the same command reuses them), results, plots', undefined, 'results/repair'))
    .addOption(option('--json', 'one JSON line per method, then a summary line, per alignment, on stdout'));
  return parseCommand(command, argv, (values, _args, refuse) => {
    const v = values as Partial<Options> & Pick<Options, 'model' | 'align' | 'alphas' | 'seed' | 'statImages' | 'out'>;
    const defaults = DEFAULTS[v.model];
    const norm = v.norm ?? defaults.norm;
    if (!defaults.norms.includes(norm)) return refuse(`--norm for ${v.model} must be ${defaults.norms.join(' or ')}, not '${norm}'.`);
    const width = v.width ?? defaults.width;
    if (v.model === 'mlp' && !Number.isSafeInteger(width)) return refuse(`--width must be a positive integer (hidden units) for mlp, not '${width}'.`);
    if (v.alphas % 2 === 0) return refuse(`--alphas must be odd, so the grid has α = 0.5, not '${v.alphas}'.`);
    if (v.depth !== undefined && v.model !== 'mlp') return refuse('--depth is for --model mlp only.');
    if (new Set(v.align).size !== v.align.length) return refuse(`--align names '${v.align.find((a, k) => v.align.indexOf(a) !== k)}' twice.`);
    return {
      model: v.model,
      norm,
      width,
      depth: v.depth ?? defaults.depth ?? 1,
      epochs: v.epochs ?? defaults.epochs,
      align: v.align,
      alphas: v.alphas,
      seed: v.seed,
      statImages: v.statImages,
      ...(v.trainSubset !== undefined ? { trainSubset: v.trainSubset } : {}),
      ...(v.testSubset !== undefined ? { testSubset: v.testSubset } : {}),
      ...(v.backend !== undefined ? { backend: v.backend } : {}),
      out: v.out,
      json: values.json === true,
    };
  });
}
