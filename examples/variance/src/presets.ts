// CPU-sized trainings for the variance study: a narrow airbench94 on a subset of
// CIFAR-10, evaluated on all 10,000 test images (the paper's n). Sized so that a
// couple of hundred runs finish in about an hour on 2 cores; two epoch budgets
// show how the distribution-wise share of variance changes with training length.

export interface Preset {
  /** Channels of the three conv groups (airbench94: 64, 256, 256). */
  widths: [number, number, number];
  batchSize: number;
  /** The first N training images. */
  trainSubset: number;
  epochs: number;
  /** Test-time augmentation level of the final evaluation. */
  tta: 0 | 1 | 2;
  /** Evaluate on the first N test images: all 10,000 (the paper's n) except in the test suite's tiny preset. */
  testSubset: number;
}

export const PRESETS = {
  cpu: { widths: [16, 32, 32], batchSize: 250, trainSubset: 5000, epochs: 2, tta: 0, testSubset: 10_000 },
  'cpu-short': { widths: [16, 32, 32], batchSize: 250, trainSubset: 5000, epochs: 1, tta: 0, testSubset: 10_000 },
  // For the test suite: one real training of a few seconds, wired end to end.
  tiny: { widths: [8, 16, 16], batchSize: 128, trainSubset: 1024, epochs: 2, tta: 0, testSubset: 1000 },
} satisfies Record<string, Preset>;

export type PresetName = keyof typeof PRESETS;
