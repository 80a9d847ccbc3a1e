import { describe, expect, it } from 'vitest';
import { CIFAR10, CIFAR10_MEAN, CIFAR100 } from '../src/index';

describe('dataset specs', () => {
  it('cannot be changed at run time: the checksums verification reads are frozen all the way down', () => {
    for (const spec of [CIFAR10, CIFAR100]) {
      expect(Object.isFrozen(spec)).toBe(true);
      expect(Object.isFrozen(spec.files)).toBe(true);
      expect(Object.isFrozen(spec.archive)).toBe(true);
      for (const file of spec.files) expect(Object.isFrozen(file)).toBe(true);
    }
    const file = CIFAR10.files[0] as { md5: string | null };
    expect(() => (file.md5 = 'ffffffffffffffffffffffffffffffff')).toThrow(TypeError);
    expect(() => (CIFAR10.archive as { md5: string }).md5 = '0').toThrow(TypeError);
    expect(() => (CIFAR10.files as unknown[]).push({})).toThrow(TypeError);
    expect(() => ((CIFAR10_MEAN as unknown as number[])[0] = 0)).toThrow(TypeError);
    expect(CIFAR10.files[0]!.md5).toBe('5dd7e06a14cb22eb9f671a540d1b7c25');
  });
});
