import * as tf from '@tensorflow/tfjs-core';

// How the kernels reach TensorFlow: the parts of tfjs-node's backend they use,
// and helpers on TensorFlow handles (ids) that free every scratch handle they make.

/** The parts of tfjs-node's NodeJSKernelBackend these kernels use. */
export interface NativeBackend {
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
export interface OpAttr {
  name: string;
  type: number;
  value: unknown;
}
export interface OutputMetadata {
  id: number;
  shape: number[];
  dtype: number;
}

// TF_DataType of the C API (tensorflow/c/tf_datatype.h); tfjs-node does not export it.
export const TF_BFLOAT16 = 14;

export const NATIVE_BACKEND = 'tensorflow';

/** True when the active backend can run TensorFlow ops by name. */
export function isNativeBackend(): boolean {
  if (tf.getBackend() !== NATIVE_BACKEND) return false;
  const backend = tf.backend() as unknown as Partial<NativeBackend>;
  return typeof backend.binding?.executeOp === 'function' && typeof backend.getInputTensorIds === 'function';
}

/** One op on TensorFlow handles (ids), outputs as handles. */
export function run(backend: NativeBackend, op: string, attrs: OpAttr[], inputIds: number[], outputs = 1): OutputMetadata[] {
  return backend.binding.executeOp(op, attrs, inputIds, outputs);
}

export function typeAttr(backend: NativeBackend, name: string, dtype: number): OpAttr {
  return { name, type: backend.binding.TF_ATTR_TYPE, value: dtype };
}

export function cast(backend: NativeBackend, id: number, from: number, to: number): number {
  const b = backend.binding;
  return run(backend, 'Cast', [typeAttr(backend, 'SrcT', from), typeAttr(backend, 'DstT', to), { name: 'Truncate', type: b.TF_ATTR_BOOL, value: false }], [id])[0]!.id;
}

export function convAttrs(backend: NativeBackend, dtype: number, padding: string): OpAttr[] {
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
export function withScratch<T>(backend: NativeBackend, body: (scratch: number[]) => T): T {
  const scratch: number[] = [];
  try {
    return body(scratch);
  } finally {
    for (const id of scratch) backend.binding.deleteTensor(id);
  }
}

/** A bf16 copy of a float32 tensor, as a scratch handle. */
export function castScratch(backend: NativeBackend, input: tf.TensorInfo, scratch: number[]): number {
  const id = cast(backend, backend.getInputTensorIds([input])[0]!, backend.binding.TF_FLOAT, TF_BFLOAT16);
  scratch.push(id);
  return id;
}

/** Runs `body` on bf16 copies of float32 tensors, freeing every handle it made. */
export function withBf16<T>(backend: NativeBackend, tensors: tf.TensorInfo[], body: (ids: number[], scratch: number[]) => T): T {
  return withScratch(backend, (scratch) => body(tensors.map((t) => castScratch(backend, t, scratch)), scratch));
}

/** A bf16 result handle as a float32 tfjs tensor (the bf16 handle is freed by withBf16's scratch list). */
export function toFloat32(backend: NativeBackend, output: OutputMetadata, scratch: number[]): tf.Tensor {
  scratch.push(output.id);
  const id = cast(backend, output.id, TF_BFLOAT16, backend.binding.TF_FLOAT);
  return backend.createOutputTensor({ id, shape: output.shape, dtype: backend.binding.TF_FLOAT });
}

export function sizes(backend: NativeBackend, shape: readonly number[], scratch: number[]): number {
  const id = backend.binding.createTensor([shape.length], backend.binding.TF_INT32, Int32Array.from(shape));
  scratch.push(id);
  return id;
}

export function oneDnnMaxPoolGrad(backend: NativeBackend, attrs: PoolAttrs, input: number, output: number, dy: number): OutputMetadata {
  const poolAttributes = poolAttrs(backend, attrs);
  const [pooled, workspace] = run(backend, '_MklNativeMaxPool', poolAttributes, [input], 2);
  try {
    return run(backend, '_MklNativeMaxPoolGrad', poolAttributes, [input, output, dy, workspace!.id])[0]!;
  } finally {
    backend.binding.deleteTensor(pooled!.id);
    backend.binding.deleteTensor(workspace!.id);
  }
}

export interface PoolAttrs {
  filterSize: number;
  strides: number;
  pad: string;
}

export const POOL_2X2: PoolAttrs = { filterSize: 2, strides: 2, pad: 'valid' };

export function poolAttrs(backend: NativeBackend, { filterSize, strides, pad }: PoolAttrs, dtype = backend.binding.TF_FLOAT): OpAttr[] {
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

/** The scale γ = 1 and the empty mean/variance (or reserve space) FusedBatchNorm's training mode takes, as scratch handles. */
export function batchNormConstants(backend: NativeBackend, channels: number, scratch: number[]): { ones: number; empty: number } {
  const b = backend.binding;
  const ones = b.createTensor([channels], b.TF_FLOAT, new Float32Array(channels).fill(1));
  const empty = b.createTensor([0], b.TF_FLOAT, new Float32Array(0));
  scratch.push(ones, empty);
  return { ones, empty };
}

export function bnAttrs(backend: NativeBackend, attrs: tf.NamedAttrMap, forward: boolean): OpAttr[] {
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
