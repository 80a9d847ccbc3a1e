import type * as tf from '@tensorflow/tfjs-core';
import { cast, castScratch, convAttrs, POOL_2X2, poolAttrs, run, sizes, TF_BFLOAT16, toFloat32, withScratch, type NativeBackend } from '../binding';
import { NATIVE_BACKEND } from '../backend-name';
import { pack, unpack } from '../packed';

/** A bf16 conv stage's kernels on packed activations (../packed.ts): pack, unpack, conv, 2×2 pool, their gradients. */
export const packedBf16Kernels: tf.KernelConfig[] = [
  {
    // float32 [..., C] → packed bf16 [..., C/2].
    kernelName: 'AirbenchPackBf16',
    backendName: NATIVE_BACKEND,
    kernelFunc: ({ inputs, backend }) => {
      const native = backend as unknown as NativeBackend;
      return withScratch(native, (scratch) => {
        const x = inputs.x!;
        const id = cast(native, native.getInputTensorIds([x])[0]!, native.binding.TF_FLOAT, TF_BFLOAT16);
        return pack(native, { id, shape: x.shape, dtype: TF_BFLOAT16 }, scratch);
      });
    },
  },
  {
    // packed bf16 → float32 (exact).
    kernelName: 'AirbenchUnpackBf16',
    backendName: NATIVE_BACKEND,
    kernelFunc: ({ inputs, backend }) => {
      const native = backend as unknown as NativeBackend;
      return withScratch(native, (scratch) => {
        const id = cast(native, unpack(native, inputs.x!, scratch), TF_BFLOAT16, native.binding.TF_FLOAT);
        return native.createOutputTensor({ id, shape: [...inputs.x!.shape.slice(0, -1), inputs.x!.shape[inputs.x!.shape.length - 1]! * 2], dtype: native.binding.TF_FLOAT });
      });
    },
  },
  {
    // conv2d(packed x, bf16(filter)) → packed y.
    kernelName: 'AirbenchConv2DBf16Packed',
    backendName: NATIVE_BACKEND,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const native = backend as unknown as NativeBackend;
      const padding = (attrs as { padding: string }).padding;
      return withScratch(native, (scratch) => {
        const y = run(native, 'Conv2D', convAttrs(native, TF_BFLOAT16, padding), [unpack(native, inputs.x!, scratch), castScratch(native, inputs.filter!, scratch)])[0]!;
        return pack(native, y, scratch);
      });
    },
  },
  {
    // 2×2 VALID max-pool of a packed tensor, in bf16 (the same values as pooling its float32 copy), as float32.
    kernelName: 'AirbenchMaxPoolBf16Packed',
    backendName: NATIVE_BACKEND,
    kernelFunc: ({ inputs, backend }) => {
      const native = backend as unknown as NativeBackend;
      return withScratch(native, (scratch) => {
        const [pooled, workspace] = run(native, '_MklNativeMaxPool', poolAttrs(native, POOL_2X2, TF_BFLOAT16), [unpack(native, inputs.x!, scratch)], 2);
        scratch.push(pooled!.id, workspace!.id);
        const id = cast(native, pooled!.id, TF_BFLOAT16, native.binding.TF_FLOAT);
        return native.createOutputTensor({ id, shape: pooled!.shape, dtype: native.binding.TF_FLOAT });
      });
    },
  },
  {
    // The pool's gradient for its packed input, packed: routing values, so bf16(dy) routed = bf16(routed dy).
    kernelName: 'AirbenchMaxPoolGradBf16Packed',
    backendName: NATIVE_BACKEND,
    kernelFunc: ({ inputs, backend }) => {
      const native = backend as unknown as NativeBackend;
      return withScratch(native, (scratch) => {
        const input = unpack(native, inputs.input!, scratch);
        const attributes = poolAttrs(native, POOL_2X2, TF_BFLOAT16);
        const [pooled, workspace] = run(native, '_MklNativeMaxPool', attributes, [input], 2);
        scratch.push(pooled!.id, workspace!.id);
        const dx = run(native, '_MklNativeMaxPoolGrad', attributes, [input, pooled!.id, castScratch(native, inputs.dy!, scratch), workspace!.id])[0]!;
        return pack(native, dx, scratch);
      });
    },
  },
  {
    // The conv's gradient for its input, float32, from the packed output gradient.
    kernelName: 'AirbenchConv2DBf16PackedBackpropInput',
    backendName: NATIVE_BACKEND,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const native = backend as unknown as NativeBackend;
      const { padding, inputShape } = attrs as { padding: string; inputShape: number[] };
      return withScratch(native, (scratch) =>
        toFloat32(native, run(native, 'Conv2DBackpropInput', convAttrs(native, TF_BFLOAT16, padding), [sizes(native, inputShape, scratch), castScratch(native, inputs.filter!, scratch), unpack(native, inputs.dy!, scratch)])[0]!, scratch),
      );
    },
  },
  {
    // ... and for its filter, float32, from the packed input and output gradient.
    kernelName: 'AirbenchConv2DBf16PackedBackpropFilter',
    backendName: NATIVE_BACKEND,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const native = backend as unknown as NativeBackend;
      const { padding, filterShape } = attrs as { padding: string; filterShape: number[] };
      return withScratch(native, (scratch) =>
        toFloat32(native, run(native, 'Conv2DBackpropFilter', convAttrs(native, TF_BFLOAT16, padding), [unpack(native, inputs.x!, scratch), sizes(native, filterShape, scratch), unpack(native, inputs.dy!, scratch)])[0]!, scratch),
      );
    },
  },
];
