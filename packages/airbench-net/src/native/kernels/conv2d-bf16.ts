import type * as tf from '@tensorflow/tfjs-core';
import { convAttrs, run, sizes, TF_BFLOAT16, toFloat32, withBf16, type NativeBackend } from '../binding';
import { NATIVE_BACKEND } from '../backend-name';

/** A convolution in bfloat16 with float32 tensors on both sides, and its two gradients. */
export const conv2dBf16Kernels: tf.KernelConfig[] = [
  {
    // y = conv2d(bf16(x), bf16(filter)), accumulated in float32 by oneDNN, returned as float32.
    kernelName: 'AirbenchConv2DBf16',
    backendName: NATIVE_BACKEND,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const native = backend as unknown as NativeBackend;
      const padding = (attrs as { padding: string }).padding;
      return withBf16(native, [inputs.x!, inputs.filter!], ([x, filter], scratch) =>
        toFloat32(native, run(native, 'Conv2D', convAttrs(native, TF_BFLOAT16, padding), [x!, filter!])[0]!, scratch),
      );
    },
  },
  {
    // The bf16 conv's gradient for its input, float32: Conv2DBackpropInput(bf16(filter), bf16(dy)).
    kernelName: 'AirbenchConv2DBf16BackpropInput',
    backendName: NATIVE_BACKEND,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const native = backend as unknown as NativeBackend;
      const { padding, inputShape } = attrs as { padding: string; inputShape: number[] };
      return withBf16(native, [inputs.filter!, inputs.dy!], ([filter, dy], scratch) =>
        toFloat32(native, run(native, 'Conv2DBackpropInput', convAttrs(native, TF_BFLOAT16, padding), [sizes(native, inputShape, scratch), filter!, dy!])[0]!, scratch),
      );
    },
  },
  {
    // ... and for its filter: Conv2DBackpropFilter(bf16(x), bf16(dy)). Two kernels, not one, so a
    // step that needs no input gradient (the first conv while the whitening bias is frozen) skips it.
    kernelName: 'AirbenchConv2DBf16BackpropFilter',
    backendName: NATIVE_BACKEND,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const native = backend as unknown as NativeBackend;
      const { padding, filterShape } = attrs as { padding: string; filterShape: number[] };
      return withBf16(native, [inputs.x!, inputs.dy!], ([x, dy], scratch) =>
        toFloat32(native, run(native, 'Conv2DBackpropFilter', convAttrs(native, TF_BFLOAT16, padding), [x!, sizes(native, filterShape, scratch), dy!])[0]!, scratch),
      );
    },
  },
];
