import * as tf from '@tensorflow/tfjs-core';
import type { NativeBackend } from './binding';

export const NATIVE_BACKEND = 'tensorflow';

/** True when the active backend can run TensorFlow ops by name. */
export function isNativeBackend(): boolean {
  if (tf.getBackend() !== NATIVE_BACKEND) return false;
  const backend = tf.backend() as unknown as Partial<NativeBackend>;
  return typeof backend.binding?.executeOp === 'function' && typeof backend.getInputTensorIds === 'function';
}
