import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

// ---------------------------------------------------------------------------
// What the CPU computes natively, and whether TensorFlow's oneDNN path is on
// ---------------------------------------------------------------------------
//
// TensorFlow's CPU wheel (2.x) turns its oneDNN kernels on by default only on
// CPUs with AVX512-VNNI, AVX512-BF16 or AMX; elsewhere (AVX2 laptops, AMD Zen 2/3
// and older Xeon servers) it runs its own Eigen kernels, which trained airbench94
// at a third of the speed on a 2-core AMD EPYC (91.8 vs 280.4 images/s). So the
// examples turn oneDNN on before TensorFlow loads, unless the user has set
// TF_ENABLE_ONEDNN_OPTS themselves, and say which path they run.

/** The best matrix ISA the CPU has, from /proc/cpuinfo (Linux); 'unknown' elsewhere. */
export type CpuIsa = 'AMX' | 'AVX512-BF16' | 'AVX512' | 'AVX2' | 'pre-AVX2' | 'unknown';

export function cpuIsa(cpuinfo = readCpuinfo()): CpuIsa {
  if (cpuinfo === null) return 'unknown';
  const flags = new Set(/^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.split(/\s+/) ?? []);
  if (flags.size === 0) return 'unknown';
  if (flags.has('amx_bf16') && flags.has('amx_tile')) return 'AMX';
  if (flags.has('avx512_bf16')) return 'AVX512-BF16';
  if (flags.has('avx512f')) return 'AVX512';
  if (flags.has('avx2')) return 'AVX2';
  return 'pre-AVX2';
}

/** Whether the CPU computes bf16 products natively (AMX or AVX512-BF16): where `--precision auto` picks bf16. */
export function hasNativeBf16(isa: CpuIsa = cpuIsa()): boolean {
  return isa === 'AMX' || isa === 'AVX512-BF16';
}

export interface OneDnnState {
  enabled: boolean;
  /** Who decided: the user's TF_ENABLE_ONEDNN_OPTS, or this project's default (on). */
  setBy: 'user' | 'airbench-ts';
  /** ONEDNN_MAX_CPU_ISA, when the user capped oneDNN's ISA (e.g. AVX2), else null. */
  cap: string | null;
}

/**
 * Turns TensorFlow's oneDNN path on unless the user chose (TF_ENABLE_ONEDNN_OPTS
 * set to anything). Must run before the native backend loads: TensorFlow reads
 * the variable once.
 */
export function enableOneDnn(env: NodeJS.ProcessEnv = process.env): OneDnnState {
  const cap = env.ONEDNN_MAX_CPU_ISA ?? null;
  if (env.TF_ENABLE_ONEDNN_OPTS !== undefined) return { enabled: !['0', 'false', 'off'].includes(env.TF_ENABLE_ONEDNN_OPTS.toLowerCase()), setBy: 'user', cap };
  env.TF_ENABLE_ONEDNN_OPTS = '1';
  return { enabled: true, setBy: 'airbench-ts', cap };
}

/** A hash of the CPU's feature flags: which machine code runs here (scripts/lib/native-ops.mjs keys its build on the same). */
export function cpuSignature(cpuinfo = readCpuinfo()): string {
  const flags = cpuinfo === null ? null : (/^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? '');
  return flags === null ? 'unknown' : createHash('sha256').update(flags.trim()).digest('hex').slice(0, 16);
}

function readCpuinfo(): string | null {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return null;
  }
}
