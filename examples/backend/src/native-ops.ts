import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSignature } from './cpu';

// ---------------------------------------------------------------------------
// TensorFlow ops of our own (native/airbench_ops.cc), for the CPU native backend
// ---------------------------------------------------------------------------
//
// TensorFlow has no GELU op, so GELU with its slope was eleven elementwise tfjs ops
// per activation; native/airbench_ops.cc computes it in one pass (~6× faster on 2
// cores). `npm ci` builds it for this CPU into .native/ops/ (scripts/lib/native-ops.mjs);
// loading it registers the ops with TensorFlow, and airbench-net's kernels find them
// by name. Set AIRBENCH_NATIVE_OPS=0 to run without them (same results within float
// rounding: the comparison benchmark and test do).

const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface NativeOpsState {
  /** The ops registered with TensorFlow, empty when none. */
  ops: string[];
  /** Why none, when none. */
  reason: string | null;
}

/** Registers the ops built for this CPU, after tfjs-node (CPU build) has loaded. Never throws. */
export function loadNativeOps(env: NodeJS.ProcessEnv = process.env, dir = join(root, '.native', 'ops')): NativeOpsState {
  if (env.AIRBENCH_NATIVE_OPS === '0') return { ops: [], reason: 'AIRBENCH_NATIVE_OPS=0' };
  const file = join(dir, 'airbench_ops.node');
  if (!existsSync(file)) return { ops: [], reason: `not built (${file}); run 'npm run setup:native'` };
  let cpu: string | undefined;
  try {
    cpu = (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { cpu?: string }).cpu;
  } catch {
    return { ops: [], reason: `no manifest beside ${file}; run 'npm run setup:native'` };
  }
  // Built with -march=native: on another CPU it could stop on an illegal instruction.
  if (cpu !== cpuSignature()) return { ops: [], reason: `built for another CPU; run 'npm run setup:native' to build them for this one` };
  try {
    return { ops: (require(file) as { register(): string[] }).register(), reason: null };
  } catch (error) {
    return { ops: [], reason: `could not load ${file}: ${(error as Error).message.split('\n')[0]}` };
  }
}
