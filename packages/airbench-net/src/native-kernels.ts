import * as tf from '@tensorflow/tfjs-core';

// ---------------------------------------------------------------------------
// Kernels for the native `tensorflow` backend (@tensorflow/tfjs-node[-gpu])
// ---------------------------------------------------------------------------
//
// That backend runs any TensorFlow op by name. These kernels replace chains of
// small tfjs ops with one TensorFlow op each (FusedBatchNormV3 and its gradient:
// ~10× faster than moments + normalise on 2 CPU cores), and run convolutions in
// bfloat16 (oneDNN's AMX / AVX512-BF16 kernels: ~8× the float32 rate on such a
// CPU) with float32 tensors on both sides: the bf16 copies live only inside the
// kernel, as TensorFlow handles tfjs never sees (tfjs has no bf16 dtype).
//
// Nothing here imports tfjs-node or picks a backend: the kernels are registered
// for the backend *name* 'tensorflow' the first time a fused op runs on it
// (`registerNativeKernels`), and they reach TensorFlow through the backend object
// tfjs hands every kernel. Elsewhere the ops in fused-ops.ts use plain tfjs ops.

/** The parts of tfjs-node's NodeJSKernelBackend these kernels use. */
interface NativeBackend {
  binding: {
    executeOp(name: string, attrs: OpAttr[], inputIds: number[], outputs: number): OutputMetadata[];
    createTensor(shape: number[], dtype: number, values: Int32Array | Float32Array): number;
    deleteTensor(id: number): void;
    TF_FLOAT: number;
    TF_INT32: number;
    TF_ATTR_STRING: number;
    TF_ATTR_INT: number;
    TF_ATTR_FLOAT: number;
    TF_ATTR_BOOL: number;
    TF_ATTR_TYPE: number;
  };
  getInputTensorIds(tensors: tf.TensorInfo[]): number[];
  createOutputTensor(metadata: OutputMetadata): tf.Tensor;
}
interface OpAttr {
  name: string;
  type: number;
  value: unknown;
}
interface OutputMetadata {
  id: number;
  shape: number[];
  dtype: number;
}

// TF_DataType of the C API (tensorflow/c/tf_datatype.h); tfjs-node does not export it.
const TF_BFLOAT16 = 14;

export const NATIVE_BACKEND = 'tensorflow';

/** True when the active backend can run TensorFlow ops by name. */
export function isNativeBackend(): boolean {
  if (tf.getBackend() !== NATIVE_BACKEND) return false;
  const backend = tf.backend() as unknown as Partial<NativeBackend>;
  return typeof backend.binding?.executeOp === 'function' && typeof backend.getInputTensorIds === 'function';
}

/** One op on TensorFlow handles (ids), outputs as handles. */
function run(backend: NativeBackend, op: string, attrs: OpAttr[], inputIds: number[], outputs = 1): OutputMetadata[] {
  return backend.binding.executeOp(op, attrs, inputIds, outputs);
}

function typeAttr(backend: NativeBackend, name: string, dtype: number): OpAttr {
  return { name, type: backend.binding.TF_ATTR_TYPE, value: dtype };
}

function cast(backend: NativeBackend, id: number, from: number, to: number): number {
  const b = backend.binding;
  return run(backend, 'Cast', [typeAttr(backend, 'SrcT', from), typeAttr(backend, 'DstT', to), { name: 'Truncate', type: b.TF_ATTR_BOOL, value: false }], [id])[0]!.id;
}

function convAttrs(backend: NativeBackend, dtype: number, padding: string): OpAttr[] {
  const b = backend.binding;
  return [
    typeAttr(backend, 'T', dtype),
    { name: 'strides', type: b.TF_ATTR_INT, value: [1, 1, 1, 1] },
    { name: 'use_cudnn_on_gpu', type: b.TF_ATTR_BOOL, value: true },
    { name: 'padding', type: b.TF_ATTR_STRING, value: padding },
    { name: 'explicit_paddings', type: b.TF_ATTR_INT, value: [] },
    { name: 'data_format', type: b.TF_ATTR_STRING, value: 'NHWC' },
    { name: 'dilations', type: b.TF_ATTR_INT, value: [1, 1, 1, 1] },
  ];
}

/** Runs `body` on bf16 copies of float32 tensors, freeing every handle it made. */
function withBf16<T>(backend: NativeBackend, tensors: tf.TensorInfo[], body: (ids: number[], scratch: number[]) => T): T {
  const f32 = backend.binding.TF_FLOAT;
  const scratch: number[] = [];
  try {
    const ids = backend.getInputTensorIds(tensors).map((id) => {
      const bf16 = cast(backend, id, f32, TF_BFLOAT16);
      scratch.push(bf16);
      return bf16;
    });
    return body(ids, scratch);
  } finally {
    for (const id of scratch) backend.binding.deleteTensor(id);
  }
}

/** A bf16 result handle as a float32 tfjs tensor (the bf16 handle is freed by withBf16's scratch list). */
function toFloat32(backend: NativeBackend, output: OutputMetadata, scratch: number[]): tf.Tensor {
  scratch.push(output.id);
  const id = cast(backend, output.id, TF_BFLOAT16, backend.binding.TF_FLOAT);
  return backend.createOutputTensor({ id, shape: output.shape, dtype: backend.binding.TF_FLOAT });
}

function sizes(backend: NativeBackend, shape: readonly number[], scratch: number[]): number {
  const id = backend.binding.createTensor([shape.length], backend.binding.TF_INT32, Int32Array.from(shape));
  scratch.push(id);
  return id;
}

const kernels: tf.KernelConfig[] = [
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
    // Both gradients of the bf16 conv from one cast of dy: [dx, dfilter], float32.
    kernelName: 'AirbenchConv2DBf16Grad',
    backendName: NATIVE_BACKEND,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const native = backend as unknown as NativeBackend;
      const padding = (attrs as { padding: string }).padding;
      const { dy, x, filter } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo; filter: tf.TensorInfo };
      return withBf16(native, [dy, x, filter], ([dyId, xId, filterId], scratch) => {
        const a = convAttrs(native, TF_BFLOAT16, padding);
        const dx = run(native, 'Conv2DBackpropInput', a, [sizes(native, x.shape, scratch), filterId!, dyId!])[0]!;
        const dFilter = run(native, 'Conv2DBackpropFilter', a, [xId!, sizes(native, filter.shape, scratch), dyId!])[0]!;
        return [toFloat32(native, dx, scratch), toFloat32(native, dFilter, scratch)];
      });
    },
  },
  {
    // Training-mode BatchNorm with the scale fixed at 1: [y, batch mean, biased batch variance].
    kernelName: 'AirbenchBatchNormTraining',
    backendName: NATIVE_BACKEND,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const native = backend as unknown as NativeBackend;
      const { x, offset } = inputs as { x: tf.TensorInfo; offset: tf.TensorInfo };
      const scratch: number[] = [];
      try {
        const [xId, offsetId] = native.getInputTensorIds([x, offset]);
        const { ones, empty } = batchNormConstants(native, x.shape[3]!, scratch);
        const [y, batchMean, batchVar, mean, variance, reserve] = run(native, 'FusedBatchNormV3', bnAttrs(native, attrs!, true), [xId!, ones, offsetId!, empty, empty], 6);
        // batchVar is Bessel-corrected (for running averages); reserve space 2 is the biased one y used.
        scratch.push(batchMean!.id, batchVar!.id, reserve!.id);
        return [y!, mean!, variance!].map((m) => native.createOutputTensor(m));
      } finally {
        for (const id of scratch) native.binding.deleteTensor(id);
      }
    },
  },
  {
    // [dx, doffset] of the above, from dy, x and the saved batch statistics.
    kernelName: 'AirbenchBatchNormTrainingGrad',
    backendName: NATIVE_BACKEND,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const native = backend as unknown as NativeBackend;
      const { dy, x, mean, variance } = inputs as Record<'dy' | 'x' | 'mean' | 'variance', tf.TensorInfo>;
      const scratch: number[] = [];
      try {
        const [dyId, xId, meanId, varId] = native.getInputTensorIds([dy, x, mean, variance]);
        const { ones, empty } = batchNormConstants(native, x.shape[3]!, scratch);
        const [dx, dScale, dOffset, r4, r5] = run(native, 'FusedBatchNormGradV3', bnAttrs(native, attrs!, false), [dyId!, xId!, ones, meanId!, varId!, empty], 5);
        scratch.push(dScale!.id, r4!.id, r5!.id);
        return [native.createOutputTensor(dx!), native.createOutputTensor(dOffset!)];
      } finally {
        for (const id of scratch) native.binding.deleteTensor(id);
      }
    },
  },
];

/** The scale γ = 1 and the empty mean/variance (or reserve space) FusedBatchNorm's training mode takes, as scratch handles. */
function batchNormConstants(backend: NativeBackend, channels: number, scratch: number[]): { ones: number; empty: number } {
  const b = backend.binding;
  const ones = b.createTensor([channels], b.TF_FLOAT, new Float32Array(channels).fill(1));
  const empty = b.createTensor([0], b.TF_FLOAT, new Float32Array(0));
  scratch.push(ones, empty);
  return { ones, empty };
}

function bnAttrs(backend: NativeBackend, attrs: tf.NamedAttrMap, forward: boolean): OpAttr[] {
  const b = backend.binding;
  return [
    typeAttr(backend, 'T', b.TF_FLOAT),
    typeAttr(backend, 'U', b.TF_FLOAT),
    { name: 'epsilon', type: b.TF_ATTR_FLOAT, value: (attrs as { epsilon: number }).epsilon },
    ...(forward ? [{ name: 'exponential_avg_factor', type: b.TF_ATTR_FLOAT, value: 1 }] : []),
    { name: 'data_format', type: b.TF_ATTR_STRING, value: 'NHWC' },
    { name: 'is_training', type: b.TF_ATTR_BOOL, value: true },
  ];
}

let registered = false;

/** Registers the kernels above for the 'tensorflow' backend, once. Does not change the active backend. */
export function registerNativeKernels(): void {
  if (registered) return;
  registered = true;
  for (const kernel of kernels) if (!tf.getKernel(kernel.kernelName, kernel.backendName)) tf.registerKernel(kernel);
}
