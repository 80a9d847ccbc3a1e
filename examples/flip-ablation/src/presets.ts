// The trainings of the flip ablation. `cpu` is sized for about two hours on 2
// cores (README: how, and what difference it resolves); `full` and `10k` are
// airbench94 as the paper runs it, on all 50,000 images or the first 10,000
// (the headline results: alternating flip at 9.9 epochs); `tiny` is the test
// suite's. A run's epoch budget and flip are part of its key in the store, not
// of the preset, so one experiment holds every cell of the ablation.

export const NETS = ['airbench94', 'vgg11', 'airbench95', 'airbench96', 'airbench94_muon'] as const;
export type Net = (typeof NETS)[number];
/** The airbench variants: airbench94 takes the preset's widths and batch size; the others their own, and their own epochs as the default budget (airbench's headline runs). */
export type AirbenchNet = Exclude<Net, 'vgg11'>;

export const MODES = ['none', 'random', 'alternating'] as const;
export type Mode = (typeof MODES)[number];

export interface Preset {
  /** airbench94's channels of its three conv groups (the paper's: 64, 256, 256). */
  widths: [number, number, number];
  /** airbench94's images per step; VGG11 uses its own recipe's (docs/papers.md §3.8). */
  batchSize: number;
  /** The first N training images. */
  trainSubset: number;
  /** Evaluate on the first N test images. */
  testSubset: number;
  /** airbench94's test-time augmentation level. */
  tta: 0 | 1 | 2;
  /** The default epoch budgets of `run`. */
  budgets: number[];
  /** VGG11's width multiplier (1 = kuangliu's 64…512 channels). */
  vggWidth: number;
}

export const PRESETS = {
  cpu: { widths: [32, 64, 64], batchSize: 250, trainSubset: 5000, testSubset: 10_000, tta: 0, budgets: [4, 8, 12, 16], vggWidth: 0.25 },
  full: { widths: [64, 256, 256], batchSize: 1024, trainSubset: 50_000, testSubset: 10_000, tta: 2, budgets: [9.9], vggWidth: 1 },
  '10k': { widths: [64, 256, 256], batchSize: 1024, trainSubset: 10_000, testSubset: 10_000, tta: 2, budgets: [9.9], vggWidth: 1 },
  tiny: { widths: [16, 32, 32], batchSize: 128, trainSubset: 1024, testSubset: 1000, tta: 0, budgets: [1, 2], vggWidth: 0.125 },
} satisfies Record<string, Preset>;

export type PresetName = keyof typeof PRESETS;
