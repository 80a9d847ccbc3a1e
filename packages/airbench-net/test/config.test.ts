import { describe, expect, it } from 'vitest';
import '@tensorflow/tfjs-backend-cpu';
import { CONFIGS, InvalidArgumentError, disposeModel, lookaheadDecay, lrMultiplier, makeConfig, makeNet, toPyTorchSgd, totalSteps, validateConfig } from '../src/index';

describe('hyperparameters against docs/papers.md §1.3–1.6', () => {
  it('converts the decoupled lr and weight decay to PyTorch SGD values', () => {
    const a94 = toPyTorchSgd(CONFIGS.airbench94);
    expect(a94.lr).toBeCloseTo(1.46484e-3, 8);
    expect(a94.lrBias).toBeCloseTo(0.09375, 7);
    expect(a94.weightDecay).toBeCloseTo(1.362365, 6);
    expect(a94.weightDecayBias).toBeCloseTo(0.021287, 6);
    // lr·λ, the per-step decay, is the same for both groups: 0.0153·1024/7850.67 = 1.99565e-3 (the reference rounds to 1.99569e-3).
    expect(a94.lr * a94.weightDecay).toBeCloseTo(1.99565e-3, 8);
    expect(a94.lrBias * a94.weightDecayBias).toBeCloseTo(1.99565e-3, 8);

    const a95 = toPyTorchSgd(CONFIGS.airbench95);
    expect(a95.lr).toBeCloseTo(1.27377e-3, 7);
    expect(a95.lrBias).toBeCloseTo(0.0815217, 7);
    expect(a95.weightDecay).toBeCloseTo(1.56672, 5);
    expect(a95.weightDecayBias).toBeCloseTo(0.02448, 6);
    expect(toPyTorchSgd(CONFIGS['airbench96-legacy']).weightDecay).toBeCloseTo(1.365333, 6);
  });

  it('runs 476 steps for airbench94 on 48 batches per epoch, with the schedule at 0, W and T', () => {
    const T = totalSteps(CONFIGS.airbench94, 48);
    expect(T).toBe(476);
    const { schedule } = CONFIGS.airbench94;
    expect(lrMultiplier(0, T, schedule)).toBeCloseTo(0.2, 12);
    expect(lrMultiplier(108, T, schedule)).toBeCloseTo(0.2 + (0.8 * 108) / 109, 12);
    expect(lrMultiplier(109, T, schedule)).toBeCloseTo(1, 12); // W = floor(0.23 · 476) = 109
    expect(lrMultiplier(476, T, schedule)).toBeCloseTo(0.07, 12);
    expect(totalSteps(CONFIGS.airbench95, 48)).toBe(720);
    expect(lrMultiplier(165, 720, CONFIGS.airbench95.schedule)).toBeCloseTo(1, 12); // W = 165
  });

  it('decays linearly to 0 in the legacy airbench96 (W = 0.1·T)', () => {
    const T = totalSteps(CONFIGS['airbench96-legacy'], 48);
    expect(T).toBe(1776);
    const { schedule } = CONFIGS['airbench96-legacy'];
    expect(lrMultiplier(177, T, schedule)).toBeCloseTo(1, 12);
    expect(lrMultiplier(1000, T, schedule)).toBeCloseTo((1776 - 1000) / (1776 - 177), 12);
    expect(lrMultiplier(T, T, schedule)).toBe(0);
  });

  it('has the lookahead decay 0.95⁵·(s/T)³', () => {
    const lookahead = CONFIGS.airbench94.lookahead!;
    expect(lookaheadDecay(476, 476, lookahead)).toBeCloseTo(0.7737809, 7);
    expect(lookaheadDecay(5, 476, lookahead)).toBeCloseTo(0.7737809 * (5 / 476) ** 3, 12);
    expect(lookaheadDecay(0, 476, lookahead)).toBe(0);
  });

  it('derives configs field by field and keeps the originals frozen', () => {
    const custom = makeConfig('airbench94', { epochs: 2, widths: [16, 32, 32] });
    expect(custom.epochs).toBe(2);
    expect(custom.lr).toBe(11.5);
    expect(CONFIGS.airbench94.epochs).toBe(9.9);
    expect(Object.isFrozen(CONFIGS.airbench96)).toBe(true);
    expect(CONFIGS.airbench96).toMatchObject({ widths: [128, 512, 512], block: 'three-conv-residual', lr: 9, epochs: 40 });
    expect(CONFIGS.airbench96.augmentation).toEqual({ translate: 4, cutout: 12, flip: 'alternating' });
    expect(() => makeConfig('airbench99' as never)).toThrow(/unknown variant 'airbench99'/);
  });
});

describe('validateConfig', () => {
  it.each([
    [{ whiteningWidth: 16 }, 'whiteningWidth', /'whiteningWidth' must be 24/],
    [{ epochs: 0 }, 'epochs', /'epochs' must be a positive number, but is 0/],
    [{ epochs: -1 }, 'epochs', /'epochs' must be a positive number/],
    [{ batchSize: 0 }, 'batchSize', /'batchSize' must be a positive integer, but is 0/],
    [{ batchSize: 12.5 }, 'batchSize', /'batchSize' must be a positive integer/],
    [{ block: 'four-conv' as never }, 'block', /'block' must be one of two-conv, three-conv-residual, three-conv-residual-legacy, but is "four-conv"/],
    [{ whiteningImages: 0 }, 'whiteningImages', /'whiteningImages' must be a positive integer/],
    [{ classes: 1 }, 'classes', /'classes' must be at least 2/],
    [{ widths: [8, 16] as never }, 'widths', /'widths' must be three positive integers/],
    [{ momentum: 1 }, 'momentum', /'momentum' must be in \[0, 1\)/],
    [{ tta: 3 as never }, 'tta', /'tta' must be 0, 1 or 2/],
  ])('refuses %j naming the field', (override, field, message) => {
    let error: unknown;
    try {
      makeConfig('airbench94', override);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe(field);
    expect((error as Error).message).toMatch(message);
  });

  it('accepts every shipped variant, and makeNet checks a hand-built config too', () => {
    for (const config of Object.values(CONFIGS)) expect(validateConfig(config)).toBe(config);
    expect(() => makeNet({ ...CONFIGS.airbench94, whiteningWidth: 12 }, 0)).toThrow(/'whiteningWidth' must be 24/);
  });

  it('sizes the head from classes: CIFAR-100 has 100 logits', () => {
    const model = makeNet(makeConfig('airbench94', { widths: [4, 8, 8], classes: 100 }), 0);
    expect(model.params['head.weight']!.shape).toEqual([8, 100]);
    disposeModel(model);
  });
});
