import { cast, oneDnnMaxPoolGrad, POOL_2X2, poolAttrs, run, TF_BFLOAT16, withScratch, type NativeBackend } from './binding';
import { pack, unpack } from './packed';

// What this TensorFlow build can do, asked once before registering the kernels that need it.

/** True when this TensorFlow runs oneDNN's max-pool gradient on the CPU (x86 builds with oneDNN; not a GPU build). */
export function hasOneDnnMaxPoolGrad(backend: NativeBackend): boolean {
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
export function hasOneDnnBf16Pooling(backend: NativeBackend): boolean {
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

/**
 * True when TensorFlow has the GELU ops of kernels/gelu.ts (registered by the application) and
 * they give GELU's values at 1, −3, 0: Φ(1) = 0.8413447, −3·Φ(−3) = −0.0040497; slopes Φ + x·φ.
 */
export function hasTensorFlowGelu(backend: NativeBackend): boolean {
  const b = backend.binding;
  return withScratchSafe(backend, (scratch) => {
    const x = b.createTensor([3], b.TF_FLOAT, Float32Array.from([1, -3, 0]));
    scratch.push(x);
    const [y, slope] = run(backend, 'AirbenchGeluWithSlope', [], [x], 2);
    scratch.push(y!.id, slope!.id);
    const [only] = run(backend, 'AirbenchGelu', [], [x], 1);
    scratch.push(only!.id);
    const close = (id: number, expected: number[]) => Array.from(b.tensorDataSync(id) as Float32Array).every((v, i) => Math.abs(v - expected[i]!) < 1e-6);
    return close(y!.id, [0.8413447, -0.0040497, 0]) && close(only!.id, [0.8413447, -0.0040497, 0]) && close(slope!.id, [1.0833155, -0.0119456, 0.5]);
  });
}
