import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';

// Seeded initialisation, done here in JavaScript because tfjs initialisers ignore
// their seeds (tensorflow/tfjs#7104). The values are a pure function of the seed,
// identical on every backend.

/** One independent stream per parameter: the seed's generator jumped once per parameter index. */
export function parameterGenerator(seed: number, parameterIndex: number): JumpableRandomGenerator {
  const generator = xoroshiro128plus(seed);
  for (let i = 0; i <= parameterIndex; i++) generator.jump();
  return generator;
}

/** U(−bound, bound) values. */
export function uniform(count: number, bound: number, generator: JumpableRandomGenerator): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = ((generator.next() >>> 0) / 2 ** 32) * 2 * bound - bound;
  return out;
}

/**
 * PyTorch's default conv init, kaiming_uniform(a=√5), is U(±1/√fan_in); then the
 * first c_in filters become identities (dirac): filter o passes input channel o
 * through the kernel centre. A conv with c_in = c_out starts as an exact identity.
 * Kernels are HWIO: [k, k, c_in, c_out].
 */
export function diracConvKernel(size: number, channelsIn: number, channelsOut: number, generator: JumpableRandomGenerator): Float32Array {
  const values = uniform(size * size * channelsIn * channelsOut, 1 / Math.sqrt(channelsIn * size * size), generator);
  const centre = Math.floor(size / 2);
  for (let o = 0; o < Math.min(channelsIn, channelsOut); o++) {
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++)
        for (let i = 0; i < channelsIn; i++) {
          values[((y * size + x) * channelsIn + i) * channelsOut + o] = y === centre && x === centre && i === o ? 1 : 0;
        }
  }
  return values;
}
