import type { Seeds } from '@airbench-ts/run-variance';
import { PRESETS, type Preset } from './presets';
import type { Options, Vary } from './options';

/** What an experiment stores as its config (hashed by the store): the training, and which seeds vary. */
export interface VarianceConfig extends Preset {
  paper: 'variance';
  variant: 'airbench94';
  vary: Vary;
  classes: 10;
}

/** The config of one experiment: the preset, overridden by --train-subset and by `epochs` (one of --epochs). */
export function configFromOptions(options: Options, epochs?: number): VarianceConfig {
  const preset = PRESETS[options.preset];
  return {
    paper: 'variance',
    variant: 'airbench94',
    ...preset,
    ...(epochs !== undefined ? { epochs } : {}),
    ...(options.trainSubset !== undefined ? { trainSubset: options.trainSubset } : {}),
    vary: options.vary,
    classes: 10,
  };
}

export function experimentName(options: Options, config: VarianceConfig): string {
  if (options.experiment) return options.experiment;
  const changed = options.epochs !== undefined || options.trainSubset !== undefined ? `-e${config.epochs}-n${config.trainSubset}` : '';
  return `${options.preset}${changed}-vary-${options.vary}`;
}

/**
 * The seeds of run s (docs/papers.md §2.6): all three change together, or one changes and
 * the others stay 0 (the isolated-randomness sweep: (s,s,s), (s,0,0), (0,s,0), (0,0,s)).
 */
export function seedsOf(vary: Vary, s: number): Seeds {
  return {
    model: vary === 'all' || vary === 'model' ? s : 0,
    order: vary === 'all' || vary === 'order' ? s : 0,
    aug: vary === 'all' || vary === 'aug' ? s : 0,
  };
}
