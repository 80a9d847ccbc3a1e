import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

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
      return 'tensorflow';
    }
  } catch {
    // not installed or not built: fall through to cpu
  }
  await tf.setBackend('cpu');
  return 'cpu';
}
