import type { AirbenchConfig } from './config';

/** Optimiser steps of a run: ceil(batches per epoch × epochs). airbench94 on 50,000 images: ceil(48 × 9.9) = 476. */
export function totalSteps(config: AirbenchConfig, batchesPerEpoch: number): number {
  return Math.ceil(batchesPerEpoch * config.epochs);
}

/**
 * The learning-rate multiplier of step s (0-based) of T: a linear warm-up from
 * startFactor to 1 over W = floor(warmupFraction·T) steps, then a linear decay
 * that reaches endFactor at s = T. airbench94: 0.2 → 1 at s = 109 → 0.07.
 */
export function lrMultiplier(step: number, total: number, schedule: AirbenchConfig['schedule']): number {
  const warmup = Math.floor(schedule.warmupFraction * total);
  if (step < warmup) return schedule.startFactor + ((1 - schedule.startFactor) * step) / warmup;
  return 1 - ((1 - schedule.endFactor) * (step - warmup)) / (total - warmup);
}

/**
 * The lookahead decay after `step` completed steps of T: decay^every·(s/T)³.
 * Near 0 early (the slow weights just follow), 0.95⁵ ≈ 0.774 at the end.
 */
export function lookaheadDecay(step: number, total: number, lookahead: NonNullable<AirbenchConfig['lookahead']>): number {
  return lookahead.decay ** lookahead.every * (step / total) ** 3;
}
