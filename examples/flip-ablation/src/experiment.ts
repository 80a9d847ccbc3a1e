import type { Seeds } from '@airbench-ts/run-variance';
import { MODES, PRESETS, type AirbenchNet, type Mode, type Net, type Preset, type PresetName } from './presets';
import { CONFIGS, type Precision } from '@airbench-ts/airbench-net';

/** What an experiment stores as its config (hashed by the store): the training, without budgets or flips. */
export type AblationConfig = {
  paper: 'airbench';
  study: 'flip-ablation';
  preset: PresetName;
  trainSubset: number;
  testSubset: number;
  classes: 10;
} & (
  | { net: AirbenchNet; widths: [number, number, number]; batchSize: number; tta: 0 | 1 | 2; precision: Precision }
  | { net: 'vgg11'; vggWidth: number }
);

/** The config of a preset's training of `net`: only what that network reads, so each net's experiments are keyed by their own settings. */
export function configOf(preset: PresetName, net: Net, precision: Precision): AblationConfig {
  const { widths, batchSize, tta, vggWidth, trainSubset, testSubset } = PRESETS[preset] as Preset;
  const common = { paper: 'airbench', study: 'flip-ablation', preset, trainSubset, testSubset, classes: 10 } as const;
  if (net === 'vgg11') return { ...common, net, vggWidth };
  if (net === 'airbench94') return { ...common, net, widths, batchSize, tta, precision };
  const variant = CONFIGS[net];
  return { ...common, net, widths: [...variant.widths] as [number, number, number], batchSize: variant.batchSize, tta, precision };
}

/** The default epoch budgets of a run: the preset's for airbench94 and VGG11, a variant's own epochs for the others. */
export function defaultBudgets(preset: PresetName, net: Net): number[] {
  return net === 'airbench94' || net === 'vgg11' ? [...PRESETS[preset].budgets] : [CONFIGS[net].epochs];
}

/** e.g. cpu-airbench94, full-airbench94-bf16, cpu-vgg11. */
export function experimentName(config: AblationConfig): string {
  return `${config.preset}-${config.net}${config.net !== 'vgg11' && config.precision === 'bf16' ? '-bf16' : ''}`;
}

/**
 * A run's key in the store: its epoch budget, its flip (0 none, 1 random,
 * 2 alternating: the store keys runs by numbers) and its seed. Run s of every
 * cell shares the seed, so the three flips start from the same weights, see
 * the images in the same order and, in epoch 0, the same random orientations:
 * the cells differ by the flip and nothing else.
 *
 * The store keys by non-negative integers, so a whole budget is kept as
 * `epochs` and a fractional one (the paper's 9.9) as `epochTenths`: whole
 * budgets keep the key they were stored under before fractions were allowed.
 */
export function runKey(epochs: number, mode: Mode, seed: number): Seeds {
  const budget: Seeds = Number.isInteger(epochs) ? { epochs } : { epochTenths: Math.round(epochs * 10) };
  return { ...budget, flip: MODES.indexOf(mode), seed };
}

/** The epoch budget of a run key (see runKey). */
export function epochsOf(seeds: Seeds): number {
  const epochs = seeds.epochs ?? (seeds.epochTenths === undefined ? undefined : seeds.epochTenths / 10);
  if (epochs === undefined) throw new Error(`flip-ablation: run ${JSON.stringify(seeds)} has no epoch budget; was it stored by another study?`);
  return epochs;
}

export function modeOf(seeds: Seeds): Mode {
  const mode = MODES[seeds.flip ?? -1];
  if (!mode) throw new Error(`flip-ablation: run ${JSON.stringify(seeds)} has no flip 0, 1 or 2; was it stored by another study?`);
  return mode;
}

/** Every run of `run`, seed by seed, so that a stopped ablation has every cell about equally far. */
export function runKeys(budgets: readonly number[], modes: readonly Mode[], runs: number): Seeds[] {
  const keys: Seeds[] = [];
  for (let seed = 0; seed < runs; seed++) for (const epochs of budgets) for (const mode of modes) keys.push(runKey(epochs, mode, seed));
  return keys;
}
