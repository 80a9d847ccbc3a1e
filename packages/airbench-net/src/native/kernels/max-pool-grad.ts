import type * as tf from '@tensorflow/tfjs-core';
import { oneDnnMaxPoolGrad, type NativeBackend, type PoolAttrs } from '../binding';
import { NATIVE_BACKEND } from '../backend-name';

/**
 * [dx] of a 2×2 (or any) VALID max-pool, by oneDNN: `_MklNativeMaxPool` for the argmax workspace, then
 * `_MklNativeMaxPoolGrad`: together ~5× faster than TensorFlow's own `MaxPoolGrad` on 2 CPU cores, with
 * the same values (the first maximum of each window gets the gradient; the test compares them). TensorFlow
 * registers these for its graph rewriter under a kernel label; an eager op reaches them through the
 * `_kernel` attribute. The workspace (uint8, which tfjs cannot hold) lives only inside this kernel.
 */
export const maxPoolGradKernel: tf.KernelConfig = {
  kernelName: 'AirbenchMaxPoolGrad',
  backendName: NATIVE_BACKEND,
  kernelFunc: ({ inputs, backend, attrs }) => {
    const native = backend as unknown as NativeBackend;
    const { dy, input, output } = inputs as Record<'dy' | 'input' | 'output', tf.TensorInfo>;
    const [dyId, inputId, outputId] = native.getInputTensorIds([dy, input, output]);
    return native.createOutputTensor(oneDnnMaxPoolGrad(native, attrs as unknown as PoolAttrs, inputId!, outputId!, dyId!));
  },
};
