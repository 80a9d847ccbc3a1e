import type * as tf from '@tensorflow/tfjs-core';
import { run, type NativeBackend } from '../binding';
import { NATIVE_BACKEND } from '../backend-name';

/**
 * Exact GELU in one TensorFlow op, where the application registered one with TensorFlow
 * (TensorFlow itself has none: tf.nn.gelu is Mul, Erf, Add). The examples build and load
 * such ops (examples/backend/native/airbench_ops.cc); `hasTensorFlowGelu` checks their values.
 *   AirbenchGeluWithSlope: x → [x·Φ(x), Φ(x) + x·φ(x)], AirbenchGelu: x → x·Φ(x).
 */
export const GELU_OPS = ['AirbenchGeluWithSlope', 'AirbenchGelu'] as const;

export const geluKernels: tf.KernelConfig[] = GELU_OPS.map((op) => ({
  kernelName: op,
  backendName: NATIVE_BACKEND,
  kernelFunc: ({ inputs, backend }) => {
    const native = backend as unknown as NativeBackend;
    const outputs = run(native, op, [], native.getInputTensorIds([inputs.x!]), op === 'AirbenchGelu' ? 1 : 2).map((m) => native.createOutputTensor(m));
    // A one-output kernel returns its tensor, not an array (tfjs's runKernel passes arrays through).
    return outputs.length === 1 ? outputs[0]! : outputs;
  },
}));
