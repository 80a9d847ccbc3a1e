import type * as tf from '@tensorflow/tfjs-core';
import { run, sizes, TF_BFLOAT16, typeAttr, type NativeBackend, type OutputMetadata } from './binding';

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
export function pack(backend: NativeBackend, bf16: OutputMetadata, scratch: number[]): tf.Tensor {
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
export function unpack(backend: NativeBackend, packed: tf.TensorInfo, scratch: number[]): number {
  const b = backend.binding;
  const [id] = backend.getInputTensorIds([packed]);
  const pairs = run(backend, 'Bitcast', [typeAttr(backend, 'T', b.TF_INT32), typeAttr(backend, 'type', TF_BFLOAT16)], [id!])[0]!;
  scratch.push(pairs.id);
  const shape = [...packed.shape.slice(0, -1), packed.shape[packed.shape.length - 1]! * 2];
  const bf16 = run(backend, 'Reshape', [typeAttr(backend, 'T', TF_BFLOAT16), typeAttr(backend, 'Tshape', b.TF_INT32)], [pairs.id, sizes(backend, shape, scratch)])[0]!;
  scratch.push(bf16.id);
  return bf16.id;
}
