import * as tf from '@tensorflow/tfjs-core';
// ---------------------------------------------------------------------------
// Kernels for the native `tensorflow` backend (@tensorflow/tfjs-node[-gpu])
// ---------------------------------------------------------------------------
//
// That backend runs any TensorFlow op by name. These kernels replace chains of
// small tfjs ops with one TensorFlow op each (FusedBatchNormV3 and its gradient:
// ~10× faster than moments + normalise on 2 CPU cores), take the max-pool gradient
// from oneDNN (~5× TensorFlow's own MaxPoolGrad), and run convolutions in
// bfloat16 (oneDNN's AMX / AVX512-BF16 kernels: ~8× the float32 rate on such a
// CPU) with float32 tensors on both sides: the bf16 copies live only inside the
// kernel, as TensorFlow handles tfjs never sees (tfjs has no bf16 dtype).
//
// Nothing here imports tfjs-node or picks a backend: the kernels are registered
// for the backend *name* 'tensorflow' the first time a fused op runs on it
// (`registerNativeKernels`), and they reach TensorFlow through the backend object
// tfjs hands every kernel. Elsewhere the ops in fused-ops.ts use plain tfjs ops.
//
// Files: binding.ts (the backend's parts we use, handle helpers), packed.ts
// (bf16 activations held by tfjs as int32), kernels/ (one concept each),
// probes.ts (what this TensorFlow build can do), and this register. kernels/gelu.ts
// runs ops TensorFlow lacks, registered with it by the application (the examples
// build them: examples/backend/native).

import type { NativeBackend } from './binding';
import { NATIVE_BACKEND } from './backend-name';
import { batchNormKernels } from './kernels/batch-norm';
import { conv2dBf16Kernels } from './kernels/conv2d-bf16';
import { geluKernels } from './kernels/gelu';
import { maxPoolGradKernel } from './kernels/max-pool-grad';
import { packedBf16Kernels } from './kernels/packed-bf16';
import { hasOneDnnBf16Pooling, hasOneDnnMaxPoolGrad, hasTensorFlowGelu } from './probes';

export { isNativeBackend, NATIVE_BACKEND } from './backend-name';

let registered = false;

/** Registers the kernels for the 'tensorflow' backend, once (the max-pool gradient where this TensorFlow has oneDNN's). Does not change the active backend. */
export function registerNativeKernels(): void {
  if (registered) return;
  registered = true;
  for (const kernel of [...conv2dBf16Kernels, ...batchNormKernels]) if (!tf.getKernel(kernel.kernelName, kernel.backendName)) tf.registerKernel(kernel);
  const backend = tf.backend() as unknown as NativeBackend;
  if (!tf.getKernel(maxPoolGradKernel.kernelName, NATIVE_BACKEND) && hasOneDnnMaxPoolGrad(backend)) {
    tf.registerKernel(maxPoolGradKernel);
    // The packed bf16 kernels pool with oneDNN too, in bf16 (which a CPU without bf16 support may refuse).
    if (hasOneDnnBf16Pooling(backend)) for (const kernel of packedBf16Kernels) if (!tf.getKernel(kernel.kernelName, kernel.backendName)) tf.registerKernel(kernel);
  }
  // GELU in one op, when the application has given TensorFlow one (TensorFlow has none of its own).
  if (!tf.getKernel(geluKernels[0]!.kernelName, NATIVE_BACKEND) && hasTensorFlowGelu(backend)) for (const kernel of geluKernels) tf.registerKernel(kernel);
}
