import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The tests train real (small) networks, so they use the native backend when the
 * project's setup built it (scripts/setup-native-backend.mjs), else the cpu one.
 * The package itself never picks a backend.
 */
export async function useFastestBackend(): Promise<string> {
  const require = createRequire(import.meta.url);
  try {
    const packageJson = require.resolve('@tensorflow/tfjs-node/package.json');
    if (existsSync(join(dirname(packageJson), 'lib', 'napi-v8', 'tfjs_binding.node'))) {
      process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
      await import('@tensorflow/tfjs-node');
      await tf.setBackend('tensorflow');
      loadProjectOps(require);
      return 'tensorflow';
    }
  } catch {
    // not installed or not built: fall through to cpu
  }
  await tf.setBackend('cpu');
  return 'cpu';
}

/**
 * The GELU ops npm ci builds for this CPU (examples/backend/native), registered with TensorFlow
 * as the examples do, so that these tests run the package's kernels for them (native/kernels/gelu.ts).
 */
function loadProjectOps(require: NodeJS.Require): void {
  if (process.env.AIRBENCH_NATIVE_OPS === '0') return;
  const dir = fileURLToPath(new URL('../../../.native/ops/', import.meta.url));
  try {
    const { cpu } = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { cpu: string };
    // Built with -march=native: load only on the CPU it was built for.
    if (cpu === createHash('sha256').update(cpuFlags().trim()).digest('hex').slice(0, 16)) (require(join(dir, 'airbench_ops.node')) as { register(): string[] }).register();
  } catch {
    // not built here: the package's tfjs ops run instead
  }
}

/** The CPU's feature flags from /proc/cpuinfo ('' where there is none). */
function cpuFlags(): string {
  try {
    return /^flags\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
  } catch {
    return '';
  }
}

/**
 * Whether TensorFlow's oneDNN computes bf16 on this CPU: it needs AVX-512 ("oneDNN supports DT_BFLOAT16 only on
 * platforms with AVX-512"); elsewhere TensorFlow runs its Eigen bf16 kernels, and oneDNN's bf16 pooling (the packed
 * bf16 stages) is not there.
 */
export function oneDnnComputesBf16(): boolean {
  return cpuFlags().split(/\s+/).includes('avx512bw');
}
