// ---------------------------------------------------------------------------
// Hyperparameters (docs/papers.md §1.2–1.6): one plain object per variant, every field named.
// ---------------------------------------------------------------------------
//
// Why "decoupled" learning rate and weight decay: in PyTorch's SGD the step
// size is lr and the per-step shrinkage of the weights is lr·λ, so changing lr
// also changes the regularisation. airbench states both per 1024 examples and
// independent of each other: `lr` sets only the step size, `weightDecay` only
// the per-step decay lr·λ (the product is what stays fixed). `toPyTorchSgd`
// converts them to the lr and λ an SGD step uses.

import { InvalidArgumentError } from './errors';

export type BlockKind = 'two-conv' | 'three-conv-residual' | 'three-conv-residual-legacy';
const BLOCK_KINDS: readonly BlockKind[] = ['two-conv', 'three-conv-residual', 'three-conv-residual-legacy'];
export type NormKind = 'batch' | 'layer' | 'none';
const NORM_KINDS: readonly NormKind[] = ['batch', 'layer', 'none'];
/** Arithmetic of the convolutions and the head: float32, or bfloat16 where the backend has it (see `precision`). */
export type Precision = 'fp32' | 'bf16';
export const PRECISIONS: readonly Precision[] = ['fp32', 'bf16'];

export interface AirbenchConfig {
  name: string;
  /** Channels of the three conv groups. */
  widths: readonly [number, number, number];
  /** two-conv: airbench94/95. three-conv-residual: airbench96 (GELU, then add). legacy: add, then GELU. */
  block: BlockKind;
  /**
   * What follows each conv. 'batch': airbench's BatchNorm (scale fixed at 1, shift
   * trained). 'layer': LayerNorm over the channels of each pixel (biased std; the
   * REPAIR paper's ResNet20 variant, docs/papers.md §3.8), scale fixed at 1 as well, shift
   * trained. 'none': no normalisation, the convs get biases. The other two exist so
   * REPAIR proper can be shown on this architecture; airbench's hyperparameters
   * were tuned for 'batch'.
   */
  norm: NormKind;
  /** ε of the LayerNorm ('layer'), PyTorch's default. */
  layerNormEps: number;
  /** Channels of the frozen 2×2 whitening conv: 2 × 12 (each eigenfilter and its negation); nothing else is defined. */
  whiteningWidth: number;
  /** Classes of the dataset: the width of the linear head (CIFAR-10: 10, CIFAR-100: 100). */
  classes: number;
  /** Images per optimiser step. */
  batchSize: number;
  /** Training length in epochs; a fractional last epoch stops mid-way (airbench94: 9.9). */
  epochs: number;
  /** Decoupled learning rate, per 1024 examples. */
  lr: number;
  /** Decoupled weight decay, per 1024 examples. */
  weightDecay: number;
  /** Nesterov momentum. */
  momentum: number;
  /** Learning-rate multiplier of the BatchNorm shifts (the 64× trick). */
  biasScaler: number;
  /** Label smoothing ε of the cross-entropy. */
  labelSmoothing: number;
  /** The whitening bias trains in epochs 0 .. whiteningBiasEpochs-1, then freezes. */
  whiteningBiasEpochs: number;
  /** Whitening filters are v_k / sqrt(λ_k + whiteningEps). */
  whiteningEps: number;
  /** Images (the first N, un-augmented) behind the whitening statistics. */
  whiteningImages: number;
  /** BatchNorm running statistics: running ← momentum·running + (1 − momentum)·batch. */
  batchNormMomentum: number;
  batchNormEps: number;
  /** Logits are multiplied by this (1/9) before the loss and at evaluation. */
  logitScale: number;
  /** LR schedule: from startFactor up to 1 over the first warmupFraction of steps, then linearly to endFactor. */
  schedule: { warmupFraction: number; startFactor: number; endFactor: number };
  /** Lookahead: every `every` steps, slow ← d·slow + (1−d)·fast, fast ← slow, with d = decay^every·(s/T)^3; null: none (airbench94_muon). */
  lookahead: { every: number; decay: number } | null;
  /** Data augmentation the example's loader applies (the net itself does not augment). */
  augmentation: { translate: number; cutout: number; flip: 'alternating' | 'random' | 'none' };
  /** Test-time augmentation level: 0 none, 1 mirror, 2 mirror + two 1-pixel translations. */
  tta: 0 | 1 | 2;
  /**
   * 'fp32': everything in float32. 'bf16': the convolutions and the head multiply in
   * bfloat16 (8-bit mantissa) and accumulate in float32; weights, BatchNorm, the loss
   * and the optimiser stay float32 — the CPU analogue of the paper's fp16 training.
   * Needs a backend with a bf16 path (the native backend on a CPU with AVX512-BF16 or
   * AMX, see @airbench-ts-example/backend); elsewhere it computes in float32.
   */
  precision: Precision;
  /**
   * airbench94_muon's optimiser (muon.ts). Absent: airbench's Nesterov SGD in two groups
   * (lr, weightDecay, momentum, biasScaler above). Present: Muon for the conv filters at
   * `lr` per step (momentum `momentum`, Nesterov, `steps` Newton–Schulz iterations), and
   * Nesterov SGD for the rest: the BatchNorm shifts at `sgd.biasLr`, the whitening bias at
   * `sgd.biasLr` decaying linearly to 0 over its whiteningBiasEpochs, the head at
   * `sgd.headLr`; weight decay `sgd.weightDecay` per example (coupled, as PyTorch's).
   */
  muon?: { lr: number; momentum: number; steps: number; sgd: { momentum: number; biasLr: number; headLr: number; weightDecay: number } };
  /** The head's weights are rescaled to this standard deviation after their init (airbench94_muon: 1). Absent: the init as is. */
  headStd?: number;
}

const airbench94: AirbenchConfig = {
  name: 'airbench94',
  widths: [64, 256, 256],
  block: 'two-conv',
  norm: 'batch',
  layerNormEps: 1e-5,
  whiteningWidth: 24,
  classes: 10,
  batchSize: 1024,
  epochs: 9.9,
  lr: 11.5,
  weightDecay: 0.0153,
  momentum: 0.85,
  biasScaler: 64,
  labelSmoothing: 0.2,
  whiteningBiasEpochs: 3,
  whiteningEps: 5e-4,
  whiteningImages: 5000,
  batchNormMomentum: 0.6,
  batchNormEps: 1e-12,
  logitScale: 1 / 9,
  schedule: { warmupFraction: 0.23, startFactor: 0.2, endFactor: 0.07 },
  lookahead: { every: 5, decay: 0.95 },
  augmentation: { translate: 2, cutout: 0, flip: 'alternating' },
  tta: 2,
  precision: 'fp32',
};

/** The four variants. Each is frozen; derive your own with `makeConfig(base, overrides)`. */
export const CONFIGS = {
  airbench94: Object.freeze(airbench94),
  airbench95: Object.freeze({ ...airbench94, name: 'airbench95', widths: [128, 384, 384] as const, lr: 10, epochs: 15 }),
  // The paper's 46.3 s version (cifar10-zoo airbench96.py), docs/papers.md §1.6a.
  airbench96: Object.freeze({
    ...airbench94,
    name: 'airbench96',
    widths: [128, 512, 512] as const,
    block: 'three-conv-residual' as const,
    lr: 9,
    epochs: 40,
    augmentation: { translate: 4, cutout: 12, flip: 'alternating' as const },
  }),
  // legacy/airbench96.py (34.7 s), docs/papers.md §1.6b: residual before the last GELU, PyTorch's default BN momentum, linear decay to 0.
  'airbench96-legacy': Object.freeze({
    ...airbench94,
    name: 'airbench96-legacy',
    widths: [128, 384, 512] as const,
    block: 'three-conv-residual-legacy' as const,
    lr: 9,
    weightDecay: 0.012,
    epochs: 37,
    batchNormMomentum: 0.9,
    schedule: { warmupFraction: 0.1, startFactor: 0.2, endFactor: 0 },
    augmentation: { translate: 4, cutout: 12, flip: 'alternating' as const },
  }),
  // airbench94_muon.py (cifar10-airbench README: 94.01% in 2.59 s, n = 200; docs/papers.md §1.0): Muon for the
  // filters, batch 2000 for 8 epochs, lr decaying linearly to 0 with no warm-up, no lookahead, a unit-std head
  // and logits / 256 (the head's input width) instead of × 1/9.
  airbench94_muon: Object.freeze({
    ...airbench94,
    name: 'airbench94_muon',
    batchSize: 2000,
    epochs: 8,
    logitScale: 1 / 256,
    headStd: 1,
    lookahead: null,
    schedule: { warmupFraction: 0, startFactor: 1, endFactor: 0 },
    muon: { lr: 0.24, momentum: 0.6, steps: 3, sgd: { momentum: 0.85, biasLr: 0.053, headLr: 0.67, weightDecay: 2e-6 } },
  }),
} satisfies Record<string, AirbenchConfig>;

export type VariantName = keyof typeof CONFIGS;

/** A config from a variant name or a config, with fields overridden one by one; checked by `validateConfig`. */
export function makeConfig(base: VariantName | AirbenchConfig, overrides: Partial<AirbenchConfig> = {}): AirbenchConfig {
  const start = typeof base === 'string' ? CONFIGS[base] : base;
  if (!start) throw new InvalidArgumentError('base', `makeConfig: unknown variant '${String(base)}'; use one of ${Object.keys(CONFIGS).join(', ')}.`);
  return validateConfig(Object.freeze({ ...start, ...overrides }));
}

/**
 * Refuses a config that would train something other than what it says, naming
 * the field: `makeConfig`, `makeNet` and `train` call it. Returns the config.
 */
export function validateConfig(config: AirbenchConfig): AirbenchConfig {
  const refuse = (field: string, rule: string, value: unknown): never => {
    throw new InvalidArgumentError(field, `airbench config '${config.name}': '${field}' must be ${rule}, but is ${JSON.stringify(value)}.`);
  };
  const positiveInteger = (field: keyof AirbenchConfig) => {
    const value = config[field];
    if (!(Number.isSafeInteger(value) && (value as number) > 0)) refuse(field, 'a positive integer', value);
  };
  const positive = (field: keyof AirbenchConfig) => {
    const value = config[field];
    if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) refuse(field, 'a positive number', value);
  };
  const fraction = (field: string, value: number, open = false) => {
    if (!(value >= 0 && (open ? value < 1 : value <= 1))) refuse(field, open ? 'in [0, 1)' : 'in [0, 1]', value);
  };
  if (!Array.isArray(config.widths) || config.widths.length !== 3 || !config.widths.every((w) => Number.isSafeInteger(w) && w > 0)) {
    refuse('widths', 'three positive integers', config.widths);
  }
  if (!BLOCK_KINDS.includes(config.block)) refuse('block', `one of ${BLOCK_KINDS.join(', ')}`, config.block);
  if (!NORM_KINDS.includes(config.norm)) refuse('norm', `one of ${NORM_KINDS.join(', ')}`, config.norm);
  // 12 = 2×2 patches × 3 colours: the eigenbasis has 12 filters, each kept with its negation.
  if (config.whiteningWidth !== 24) refuse('whiteningWidth', '24 (12 eigenfilters of 2×2×3 patches and their negations)', config.whiteningWidth);
  for (const field of ['classes', 'batchSize', 'whiteningImages', 'whiteningBiasEpochs'] as const) positiveInteger(field);
  if (config.classes < 2) refuse('classes', 'at least 2', config.classes);
  for (const field of ['epochs', 'lr', 'biasScaler', 'whiteningEps', 'batchNormEps', 'layerNormEps', 'logitScale'] as const) positive(field);
  if (!(config.weightDecay >= 0)) refuse('weightDecay', 'a number ≥ 0', config.weightDecay);
  fraction('momentum', config.momentum, true);
  fraction('labelSmoothing', config.labelSmoothing, true);
  fraction('batchNormMomentum', config.batchNormMomentum, true);
  fraction('schedule.warmupFraction', config.schedule?.warmupFraction, true);
  if (config.lookahead !== null) {
    if (!(config.lookahead?.every >= 1 && Number.isSafeInteger(config.lookahead.every))) refuse('lookahead.every', 'a positive integer', config.lookahead?.every);
    fraction('lookahead.decay', config.lookahead.decay);
  }
  if (config.muon !== undefined) {
    const { lr, momentum, steps, sgd } = config.muon;
    if (!(lr > 0)) refuse('muon.lr', 'a positive number', lr);
    fraction('muon.momentum', momentum, true);
    if (!(Number.isSafeInteger(steps) && steps >= 1)) refuse('muon.steps', 'a positive integer', steps);
    fraction('muon.sgd.momentum', sgd?.momentum, true);
    for (const field of ['biasLr', 'headLr'] as const) if (!(sgd?.[field] > 0)) refuse(`muon.sgd.${field}`, 'a positive number', sgd?.[field]);
    if (!(sgd.weightDecay >= 0)) refuse('muon.sgd.weightDecay', 'a number ≥ 0', sgd.weightDecay);
  }
  if (config.headStd !== undefined && !(config.headStd > 0)) refuse('headStd', 'a positive number', config.headStd);
  if (![0, 1, 2].includes(config.tta)) refuse('tta', '0, 1 or 2', config.tta);
  if (!PRECISIONS.includes(config.precision)) refuse('precision', `one of ${PRECISIONS.join(', ')}`, config.precision);
  return config;
}

/** The per-step values a PyTorch-semantics SGD uses, from the decoupled ones (docs/papers.md §1.3). */
export interface SgdValues {
  /** Learning rate of the "other" parameters (conv, linear, whitening bias). */
  lr: number;
  /** Learning rate of the BatchNorm shifts: biasScaler × lr. */
  lrBias: number;
  /** PyTorch weight_decay λ of each group; lr·λ is the same for both. */
  weightDecay: number;
  weightDecayBias: number;
}

export function toPyTorchSgd(config: AirbenchConfig): SgdValues {
  // Nesterov SGD's effective step is lr·(1 + 1/(1−μ)) per unit gradient; per 1024 examples.
  const kilostepScale = 1024 * (1 + 1 / (1 - config.momentum));
  const lr = config.lr / kilostepScale;
  const lrBias = config.biasScaler * lr;
  const decayPerStep = (config.weightDecay * config.batchSize) / kilostepScale;
  return { lr, lrBias, weightDecay: decayPerStep / lr, weightDecayBias: decayPerStep / lrBias };
}

/**
 * The SGD group of a parameter (docs/papers.md §1.3): BatchNorm shifts (every trainable
 * parameter whose name contains "norm") take the 64× learning rate `lrBias`;
 * everything else (convs, the head, the whitening bias) takes `lr`. Both decay by
 * the same lr·λ per step.
 */
export function parameterGroup(config: AirbenchConfig, name: string): { lr: number; weightDecay: number } {
  const sgd = toPyTorchSgd(config);
  return name.includes('norm') ? { lr: sgd.lrBias, weightDecay: sgd.weightDecayBias } : { lr: sgd.lr, weightDecay: sgd.weightDecay };
}
