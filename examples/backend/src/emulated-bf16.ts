import { existsSync } from 'node:fs';
import { cpuIsa, type CpuIsa } from './cpu';
import { nativeBinding, parseBackendChoice } from './select-backend';

// ---------------------------------------------------------------------------
// bf16 on a CPU without AVX-512: an order of magnitude slower, so say so first
// ---------------------------------------------------------------------------
//
// TensorFlow's oneDNN computes bf16 only on CPUs with AVX-512 ("oneDNN supports
// DT_BFLOAT16 only on platforms with AVX-512. Falling back to the default
// Eigen-based implementation"); on an AVX2 CPU its Eigen bf16 kernels trained
// airbench94 at 8.2 images/s against 93.5 in fp32 (2-core AMD EPYC, AVX2 only,
// `npm run bench:airbench -- --steps 3 --precision bf16|fp32`, 2026-12-06):
// a full run would take about 17 hours instead of 1.5. Checked before TensorFlow
// loads, from the CPU's flags and which native bindings are built.

/** What the measurement above found, for messages. */
export const EMULATED_BF16_SLOWDOWN = 'airbench94 trained at 8.2 images/s in bf16 against 93.5 in fp32 on a 2-core AVX2 CPU, 11× slower';

/**
 * Why bf16 would run on TensorFlow's slow Eigen path with this backend choice, or null when it would not:
 * the CPU native backend (`node`, or `auto` without a built tfjs-node-gpu) on a CPU without AVX-512.
 */
export function emulatedBf16Reason(backend: string | undefined = process.env.AIRBENCH_BACKEND, isa: CpuIsa = cpuIsa()): string | null {
  const choice = parseBackendChoice(backend);
  if (isa !== 'AVX2' && isa !== 'pre-AVX2') return null;
  const onCpu = choice === 'node' || (choice === 'auto' && !existsSync(nativeBinding('@tensorflow/tfjs-node-gpu')));
  if (!onCpu) return null;
  return `this CPU (${isa}, no AVX-512) computes bf16 with TensorFlow's slow Eigen kernels, as oneDNN's bf16 needs AVX-512: ${EMULATED_BF16_SLOWDOWN}`;
}
