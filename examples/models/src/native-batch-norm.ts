import * as tf from '@tensorflow/tfjs-core';

// ---------------------------------------------------------------------------
// Training-mode BatchNorm as one TensorFlow op each way, on the native backend
// ---------------------------------------------------------------------------
//
// Written in tfjs ops (layers.ts), ResNet20's BatchNorm was half of its training step: the batch statistics,
// the normalisation and their gradient are about ten passes over the activations. The native `tensorflow`
// backend (tfjs-node) runs any TensorFlow op by name, and FusedBatchNormV3 / FusedBatchNormGradV3 (oneDNN's
// where it is on) do it in one op each way. The kernels are registered for that backend name on first use;
// elsewhere (cpu, wasm) layers.ts's tfjs ops run. airbench-net has its own (with the scale fixed at 1).

/** The parts of tfjs-node's backend object these kernels use. */
interface NativeBackend {
  binding: {
    executeOp(name: string, attrs: { name: string; type: number; value: unknown }[], inputIds: number[], outputs: number): Handle[];
    createTensor(shape: number[], dtype: number, values: Float32Array): number;
    deleteTensor(id: number): void;
    TF_FLOAT: number;
    TF_ATTR_FLOAT: number;
    TF_ATTR_STRING: number;
    TF_ATTR_BOOL: number;
    TF_ATTR_TYPE: number;
  };
  getInputTensorIds(tensors: tf.TensorInfo[]): number[];
  createOutputTensor(handle: Handle): tf.Tensor;
}
interface Handle {
  id: number;
  shape: number[];
  dtype: number;
}

const BACKEND = 'tensorflow';
const FORWARD = 'ModelsFusedBatchNormTraining';
const BACKWARD = 'ModelsFusedBatchNormTrainingGrad';

function opAttrs(b: NativeBackend['binding'], epsilon: number, forward: boolean) {
  return [
    { name: 'T', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
    { name: 'U', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
    { name: 'epsilon', type: b.TF_ATTR_FLOAT, value: epsilon },
    ...(forward ? [{ name: 'exponential_avg_factor', type: b.TF_ATTR_FLOAT, value: 1 }] : []),
    { name: 'data_format', type: b.TF_ATTR_STRING, value: 'NHWC' },
    { name: 'is_training', type: b.TF_ATTR_BOOL, value: true },
  ];
}

/** Runs `body` with an empty float tensor (training mode's "no running statistics"), then frees it and `extra` handles. */
function withEmpty<T>(native: NativeBackend, body: (empty: number, drop: (h: Handle) => void) => T): T {
  const b = native.binding;
  const empty = b.createTensor([0], b.TF_FLOAT, new Float32Array(0));
  const dropped: number[] = [];
  try {
    return body(empty, (h) => dropped.push(h.id));
  } finally {
    for (const id of [empty, ...dropped]) b.deleteTensor(id);
  }
}

const kernels: tf.KernelConfig[] = [
  {
    // [y, batch mean, biased batch variance] from x [N, H, W, C], scale and offset [C].
    kernelName: FORWARD,
    backendName: BACKEND,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const native = backend as unknown as NativeBackend;
      const { x, scale, offset } = inputs as Record<'x' | 'scale' | 'offset', tf.TensorInfo>;
      return withEmpty(native, (empty, drop) => {
        const outputs = native.binding.executeOp('FusedBatchNormV3', opAttrs(native.binding, (attrs as { epsilon: number }).epsilon, true), [...native.getInputTensorIds([x, scale, offset]), empty, empty], 6);
        // Outputs 1 and 2 are for running averages (the variance Bessel-corrected); 3 and 4 are what y used.
        const [y, batchMean, batchVariance, mean, variance, reserve] = outputs as [Handle, Handle, Handle, Handle, Handle, Handle];
        [batchMean, batchVariance, reserve].forEach(drop);
        return [y, mean, variance].map((h) => native.createOutputTensor(h));
      });
    },
  },
  {
    // [dx, dscale, doffset] from dy, x, scale and the saved batch statistics.
    kernelName: BACKWARD,
    backendName: BACKEND,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const native = backend as unknown as NativeBackend;
      const { dy, x, scale, mean, variance } = inputs as Record<'dy' | 'x' | 'scale' | 'mean' | 'variance', tf.TensorInfo>;
      return withEmpty(native, (empty, drop) => {
        const outputs = native.binding.executeOp('FusedBatchNormGradV3', opAttrs(native.binding, (attrs as { epsilon: number }).epsilon, false), [...native.getInputTensorIds([dy, x, scale, mean, variance]), empty], 5);
        const [dx, dScale, dOffset, r4, r5] = outputs as [Handle, Handle, Handle, Handle, Handle];
        [r4, r5].forEach(drop);
        return [dx, dScale, dOffset].map((h) => native.createOutputTensor(h));
      });
    },
  },
];

/** True when the active backend is tfjs-node's, which runs TensorFlow ops by name; registers the kernels once. */
export function hasFusedBatchNorm(): boolean {
  if (tf.getBackend() !== BACKEND) return false;
  const native = tf.backend() as unknown as Partial<NativeBackend>;
  if (typeof native.binding?.executeOp !== 'function' || typeof native.getInputTensorIds !== 'function') return false;
  for (const kernel of kernels) if (!tf.getKernel(kernel.kernelName, BACKEND)) tf.registerKernel(kernel);
  return true;
}

/**
 * BatchNorm with the batch's statistics (biased variance), scale and offset per channel of x [N, H, W, C], as one
 * TensorFlow op forward and one backward. Call only where `hasFusedBatchNorm()` is true.
 */
export function fusedBatchNorm(x: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor, epsilon: number): tf.Tensor {
  return opFor(epsilon)(x, scale, offset);
}

// One custom-gradient op per epsilon, made once rather than on every forward pass of the training loop.
const ops = new Map<number, (x: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor) => tf.Tensor>();
function opFor(epsilon: number): (x: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor) => tf.Tensor {
  let op = ops.get(epsilon);
  if (op) return op;
  op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, gamma, beta, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const [y, mean, variance] = tf.engine().runKernel(FORWARD, { x: input, scale: gamma, offset: beta }, { epsilon }) as tf.Tensor[];
    save([input, gamma, mean!, variance!]);
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, gammas, means, variances] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        return tf.engine().runKernel(BACKWARD, { dy: dy as tf.Tensor, x: xs, scale: gammas, mean: means, variance: variances }, { epsilon }) as tf.Tensor[];
      },
    };
  }) as (x: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor) => tf.Tensor;
  ops.set(epsilon, op);
  return op;
}
