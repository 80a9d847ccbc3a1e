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

/** The parts of tfjs-node's NodeJSKernelBackend these kernels use. */
interface NativeBackend {
  binding: {
    executeOp(name: string, attrs: OpAttr[], inputIds: number[], outputs: number): OutputMetadata[];
    createTensor(shape: number[], dtype: number, values: Int32Array | Float32Array): number;
    deleteTensor(id: number): void;
    tensorDataSync(id: number): unknown;
    isUsingGpuDevice?(): boolean;
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

/** Runs `body` with a list of scratch handles, and frees every handle it put there. */
function withScratch<T>(backend: NativeBackend, body: (scratch: number[]) => T): T {
  const scratch: number[] = [];
  try {
    return body(scratch);
  } finally {
    for (const id of scratch) backend.binding.deleteTensor(id);
  }
}

/** A bf16 copy of a float32 tensor, as a scratch handle. */
function castScratch(backend: NativeBackend, input: tf.TensorInfo, scratch: number[]): number {
  const id = cast(backend, backend.getInputTensorIds([input])[0]!, backend.binding.TF_FLOAT, TF_BFLOAT16);
  scratch.push(id);
  return id;
}

/** Runs `body` on bf16 copies of float32 tensors, freeing every handle it made. */
function withBf16<T>(backend: NativeBackend, tensors: tf.TensorInfo[], body: (ids: number[], scratch: number[]) => T): T {
  return withScratch(backend, (scratch) => body(tensors.map((t) => castScratch(backend, t, scratch)), scratch));
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
  {
    // Training-mode BatchNorm with the scale fixed at 1: [y, batch mean, biased batch variance].
    kernelName: 'AirbenchBatchNormTraining',
    backendName: NATIVE_BACKEND,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const native = backend as unknown as NativeBackend;
      const { x, offset } = inputs as { x: tf.TensorInfo; offset: tf.TensorInfo };
      return withScratch(native, (scratch) => {
        const [xId, offsetId] = native.getInputTensorIds([x, offset]);
        const { ones, empty } = batchNormConstants(native, x.shape[3]!, scratch);
        const [y, batchMean, batchVar, mean, variance, reserve] = run(native, 'FusedBatchNormV3', bnAttrs(native, attrs!, true), [xId!, ones, offsetId!, empty, empty], 6);
        // batchVar is Bessel-corrected (for running averages); reserve space 2 is the biased one y used.
        scratch.push(batchMean!.id, batchVar!.id, reserve!.id);
        return [y!, mean!, variance!].map((m) => native.createOutputTensor(m));
      });
    },
  },
  {
    // [dx, doffset] of the above, from dy, x and the saved batch statistics.
    kernelName: 'AirbenchBatchNormTrainingGrad',
    backendName: NATIVE_BACKEND,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const native = backend as unknown as NativeBackend;
      const { dy, x, mean, variance } = inputs as Record<'dy' | 'x' | 'mean' | 'variance', tf.TensorInfo>;
      return withScratch(native, (scratch) => {
        const [dyId, xId, meanId, varId] = native.getInputTensorIds([dy, x, mean, variance]);
        const { ones, empty } = batchNormConstants(native, x.shape[3]!, scratch);
        const [dx, dScale, dOffset, r4, r5] = run(native, 'FusedBatchNormGradV3', bnAttrs(native, attrs!, false), [dyId!, xId!, ones, meanId!, varId!, empty], 5);
        scratch.push(dScale!.id, r4!.id, r5!.id);
        return [native.createOutputTensor(dx!), native.createOutputTensor(dOffset!)];
      });
    },
  },
];

// ---------------------------------------------------------------------------
// bf16 activations held by tfjs: "packed" as int32
// ---------------------------------------------------------------------------
//
// tfjs has no bf16 dtype, so a bf16 activation [N, H, W, C] (C even) is held as
// an int32 tensor [N, H, W, C/2] with the same bytes (TensorFlow's Bitcast and
// Reshape: no copy). A bf16 conv stage keeps its activations this way between
// its kernels — its input (for the filter gradient), its conv output (for the
// pool's gradient), the conv output's gradient (for both conv gradients) — so
// each is cast once instead of once per use, at half the memory. tfjs only
// carries these tensors around; it never reads them.

/** A bf16 handle [..., C] as a packed int32 handle [..., C/2] (both share the buffer; the bf16 one is freed). */
function pack(backend: NativeBackend, bf16: OutputMetadata, scratch: number[]): tf.Tensor {
  const b = backend.binding;
  const shape = bf16.shape;
  const pairs = [...shape.slice(0, -1), shape[shape.length - 1]! / 2, 2];
  scratch.push(bf16.id);
  const paired = run(backend, 'Reshape', [typeAttr(backend, 'T', TF_BFLOAT16), typeAttr(backend, 'Tshape', b.TF_INT32)], [bf16.id, sizes(backend, pairs, scratch)])[0]!;
  scratch.push(paired.id);
  const packed = run(backend, 'Bitcast', [typeAttr(backend, 'T', TF_BFLOAT16), typeAttr(backend, 'type', b.TF_INT32)], [paired.id])[0]!;
  return backend.createOutputTensor(packed);
}

/** The bf16 handle [..., 2·C'] behind a packed tensor [..., C'] (a scratch handle). */
function unpack(backend: NativeBackend, packed: tf.TensorInfo, scratch: number[]): number {
  const b = backend.binding;
  const [id] = backend.getInputTensorIds([packed]);
  const pairs = run(backend, 'Bitcast', [typeAttr(backend, 'T', b.TF_INT32), typeAttr(backend, 'type', TF_BFLOAT16)], [id!])[0]!;
  scratch.push(pairs.id);
  const shape = [...packed.shape.slice(0, -1), packed.shape[packed.shape.length - 1]! * 2];
  const bf16 = run(backend, 'Reshape', [typeAttr(backend, 'T', TF_BFLOAT16), typeAttr(backend, 'Tshape', b.TF_INT32)], [pairs.id, sizes(backend, shape, scratch)])[0]!;
  scratch.push(bf16.id);
  return bf16.id;
}

const packedKernels: tf.KernelConfig[] = [
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

/**
 * [dx] of a 2×2 (or any) VALID max-pool, by oneDNN: `_MklNativeMaxPool` for the argmax workspace, then
 * `_MklNativeMaxPoolGrad`: together ~5× faster than TensorFlow's own `MaxPoolGrad` on 2 CPU cores, with
 * the same values (the first maximum of each window gets the gradient; the test compares them). TensorFlow
 * registers these for its graph rewriter under a kernel label; an eager op reaches them through the
 * `_kernel` attribute. The workspace (uint8, which tfjs cannot hold) lives only inside this kernel.
 */
const maxPoolGradKernel: tf.KernelConfig = {
  kernelName: 'AirbenchMaxPoolGrad',
  backendName: NATIVE_BACKEND,
  kernelFunc: ({ inputs, backend, attrs }) => {
    const native = backend as unknown as NativeBackend;
    const { dy, input, output } = inputs as Record<'dy' | 'input' | 'output', tf.TensorInfo>;
    const [dyId, inputId, outputId] = native.getInputTensorIds([dy, input, output]);
    return native.createOutputTensor(oneDnnMaxPoolGrad(native, attrs as unknown as PoolAttrs, inputId!, outputId!, dyId!));
  },
};

function oneDnnMaxPoolGrad(backend: NativeBackend, attrs: PoolAttrs, input: number, output: number, dy: number): OutputMetadata {
  const poolAttributes = poolAttrs(backend, attrs);
  const [pooled, workspace] = run(backend, '_MklNativeMaxPool', poolAttributes, [input], 2);
  try {
    return run(backend, '_MklNativeMaxPoolGrad', poolAttributes, [input, output, dy, workspace!.id])[0]!;
  } finally {
    backend.binding.deleteTensor(pooled!.id);
    backend.binding.deleteTensor(workspace!.id);
  }
}

interface PoolAttrs {
  filterSize: number;
  strides: number;
  pad: string;
}

const POOL_2X2: PoolAttrs = { filterSize: 2, strides: 2, pad: 'valid' };

function poolAttrs(backend: NativeBackend, { filterSize, strides, pad }: PoolAttrs, dtype = backend.binding.TF_FLOAT): OpAttr[] {
  const b = backend.binding;
  return [
    typeAttr(backend, 'T', dtype),
    { name: 'ksize', type: b.TF_ATTR_INT, value: [1, filterSize, filterSize, 1] },
    { name: 'strides', type: b.TF_ATTR_INT, value: [1, strides, strides, 1] },
    { name: 'padding', type: b.TF_ATTR_STRING, value: pad.toUpperCase() },
    { name: 'data_format', type: b.TF_ATTR_STRING, value: 'NHWC' },
    { name: 'explicit_paddings', type: b.TF_ATTR_INT, value: [] },
    { name: 'workspace_enabled', type: b.TF_ATTR_BOOL, value: true },
    { name: '_kernel', type: b.TF_ATTR_STRING, value: 'MklNameChangeOp' },
  ];
}

/** True when this TensorFlow runs oneDNN's max-pool gradient on the CPU (x86 builds with oneDNN; not a GPU build). */
function hasOneDnnMaxPoolGrad(backend: NativeBackend): boolean {
  if (backend.binding.isUsingGpuDevice?.()) return false;
  const b = backend.binding;
  return withScratchSafe(backend, (scratch) => {
    // One window [1, 4; 2, 3]: the gradient must reach the 4.
    const x = b.createTensor([1, 2, 2, 1], b.TF_FLOAT, Float32Array.from([1, 4, 2, 3]));
    const y = b.createTensor([1, 1, 1, 1], b.TF_FLOAT, Float32Array.from([4]));
    const dy = b.createTensor([1, 1, 1, 1], b.TF_FLOAT, Float32Array.from([1]));
    scratch.push(x, y, dy);
    const dx = oneDnnMaxPoolGrad(backend, POOL_2X2, x, y, dy);
    scratch.push(dx.id);
    return Array.from(b.tensorDataSync(dx.id) as Float32Array).join() === '0,1,0,0';
  });
}

/** True when oneDNN pools bf16 here: one window, [1, 4; 2, 3] → 4, through a packed tensor as the stage's kernels do. */
function hasOneDnnBf16Pooling(backend: NativeBackend): boolean {
  const b = backend.binding;
  return withScratchSafe(backend, (scratch) => {
    const x = b.createTensor([1, 2, 2, 2], b.TF_FLOAT, Float32Array.from([1, 1, 4, 4, 2, 2, 3, 3]));
    scratch.push(x);
    const packed = pack(backend, { id: cast(backend, x, b.TF_FLOAT, TF_BFLOAT16), shape: [1, 2, 2, 2], dtype: TF_BFLOAT16 }, scratch);
    try {
      const [pooled, workspace] = run(backend, '_MklNativeMaxPool', poolAttrs(backend, POOL_2X2, TF_BFLOAT16), [unpack(backend, packed, scratch)], 2);
      scratch.push(pooled!.id, workspace!.id);
      const id = cast(backend, pooled!.id, TF_BFLOAT16, b.TF_FLOAT);
      scratch.push(id);
      return Array.from(b.tensorDataSync(id) as Float32Array).join() === '4,4';
    } finally {
      packed.dispose();
    }
  });
}

/** withScratch for probes: any failure means "no". */
function withScratchSafe(backend: NativeBackend, body: (scratch: number[]) => boolean): boolean {
  try {
    return withScratch(backend, body);
  } catch {
    return false;
  }
}

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

/** Registers the kernels above for the 'tensorflow' backend, once (the max-pool gradient where this TensorFlow has oneDNN's). Does not change the active backend. */
export function registerNativeKernels(): void {
  if (registered) return;
  registered = true;
  for (const kernel of kernels) if (!tf.getKernel(kernel.kernelName, kernel.backendName)) tf.registerKernel(kernel);
  const backend = tf.backend() as unknown as NativeBackend;
  if (!tf.getKernel(maxPoolGradKernel.kernelName, NATIVE_BACKEND) && hasOneDnnMaxPoolGrad(backend)) {
    tf.registerKernel(maxPoolGradKernel);
    // The packed bf16 kernels pool with oneDNN too, in bf16 (which a CPU without bf16 support may refuse).
    if (hasOneDnnBf16Pooling(backend)) for (const kernel of packedKernels) if (!tf.getKernel(kernel.kernelName, kernel.backendName)) tf.registerKernel(kernel);
  }
}
