import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { cpuIsa, cpuSignature, emulatedBf16Reason, loadNativeOps, nativeBinding, parseBackendChoice, selectBackend } from '../src/index';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const setupScript = fileURLToPath(new URL('../../../scripts/setup-native-backend.mjs', import.meta.url));
const nativeBuilt = existsSync(nativeBinding('@tensorflow/tfjs-node'));
const log: string[] = [];
// As the test run's environment had it, before selectBackend set its default.
const userOneDnn = process.env.TF_ENABLE_ONEDNN_OPTS;

beforeAll(async () => {
  await selectBackend({ backend: 'auto', log: (line) => log.push(line) });
});

describe('the native backend', () => {
  it('is built wherever it is required (CI sets AIRBENCH_REQUIRE_NATIVE=1)', () => {
    if (process.env.AIRBENCH_REQUIRE_NATIVE === '1') expect(nativeBuilt).toBe(true);
    expect(log.some((line) => line.startsWith('backend: '))).toBe(true);
  });

  it.runIf(nativeBuilt)('is the backend in use, on a recent TensorFlow', () => {
    expect(tf.getBackend()).toBe('tensorflow');
    // oneDNN on unless the test run's environment chose (TensorFlow's wheel leaves it off on AVX2-only CPUs).
    const onednn = userOneDnn === undefined ? 'on' : '(on|off) \\(TF_ENABLE_ONEDNN_OPTS\\)';
    expect(log[0]).toMatch(new RegExp(`^backend: tensorflow \\(@tensorflow/tfjs-node 4\\.22\\.0, TensorFlow 2\\.\\d+\\.\\d+; oneDNN ${onednn}[^;]*; native ops (on|off: [^;]+); signal guard (on|off: [^;]+); CPU (AMX|AVX512-BF16|AVX512|AVX2|pre-AVX2|unknown)\\)$`));
    if (userOneDnn === undefined) expect(process.env.TF_ENABLE_ONEDNN_OPTS).toBe('1'); // set before TensorFlow loaded
  });

});

describe('our TensorFlow ops (native/airbench_ops.cc, built by npm ci for this CPU)', () => {
  const loaded = () => log[0]?.includes('; native ops on;') === true;

  it('are built and loaded wherever the native backend is required', () => {
    if (process.env.AIRBENCH_REQUIRE_NATIVE === '1') expect(log[0]).toContain('; native ops on;');
  });

  it.runIf(nativeBuilt)('GELU and its slope in one op: the values of tfjs ops on the cpu backend, within float rounding', async () => {
    if (!loaded()) return expect(log[0]).toMatch(/native ops off: /); // not built here: the line says why
    // 300,000 values over ±12 (erf saturates past ±4: both branches), and the exact 0.
    const values = Array.from({ length: 300_000 }, (_, i) => (i === 0 ? 0 : Math.sin(i * 12.9898) * 12));
    const byTfjsOps = (x: tf.Tensor) => {
      const cdf = tf.mul(tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1), 0.5);
      return [tf.mul(x, cdf), tf.add(cdf, tf.mul(x, tf.mul(tf.exp(tf.mul(tf.square(x), -0.5)), 1 / Math.sqrt(2 * Math.PI))))];
    };
    const [[y, slope]] = await onBoth(() => byTfjsOps(tf.tensor1d(values)));
    const backend = tf.backend() as unknown as { binding: { executeOp(op: string, attrs: [], ids: number[], n: number): { id: number }[] }; getInputTensorIds(t: tf.Tensor[]): number[]; createOutputTensor(m: unknown): tf.Tensor };
    const x = tf.tensor1d(values);
    const [ny, nslope] = backend.binding.executeOp('AirbenchGeluWithSlope', [], backend.getInputTensorIds([x]), 2).map((m) => backend.createOutputTensor(m));
    const [only] = backend.binding.executeOp('AirbenchGelu', [], backend.getInputTensorIds([x]), 1).map((m) => backend.createOutputTensor(m));
    expect(relativeError(Array.from(ny!.dataSync()), y!)).toBeLessThan(1e-6);
    expect(relativeError(Array.from(nslope!.dataSync()), slope!)).toBeLessThan(1e-6);
    expect(relativeError(Array.from(only!.dataSync()), y!)).toBeLessThan(1e-6);
    expect(ny!.dataSync()[0]).toBe(0);
    expect(nslope!.dataSync()[0]).toBe(0.5);
    tf.dispose([x, ny!, nslope!, only!]);
  });

  it('AIRBENCH_NATIVE_OPS=0 leaves them out; a build for another CPU or without its manifest is not loaded', () => {
    expect(loadNativeOps({ AIRBENCH_NATIVE_OPS: '0' })).toEqual({ ops: [], reason: 'AIRBENCH_NATIVE_OPS=0' });
    const dir = mkdtempSync(join(tmpdir(), 'native-ops-'));
    try {
      writeFileSync(join(dir, 'airbench_ops.node'), 'not a library');
      expect(loadNativeOps({}, dir).reason).toMatch(/^no manifest beside .*airbench_ops\.node; run 'npm run setup:native'$/);
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ cpu: 'another-cpu' }));
      expect(loadNativeOps({}, dir).reason).toBe("built for another CPU; run 'npm run setup:native' to build them for this one");
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ cpu: cpuSignature() }));
      expect(loadNativeOps({}, dir).reason).toMatch(/^could not load .*airbench_ops\.node: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(loadNativeOps({}, join(tmpdir(), 'no-such-dir')).reason).toMatch(/^not built \(.*\); run 'npm run setup:native'$/);
  });
});

/** Runs `compute` on the cpu backend and on the native one; both results as flat arrays. */
async function onBoth(compute: () => tf.Tensor | tf.Tensor[]): Promise<[number[][], number[][]]> {
  const results: number[][][] = [];
  for (const backend of ['cpu', 'tensorflow']) {
    await tf.setBackend(backend);
    const out = tf.tidy(compute);
    const list = Array.isArray(out) ? out : [out];
    results.push(list.map((t) => Array.from(t.dataSync())));
    tf.dispose(list);
  }
  await tf.setBackend('tensorflow');
  return [results[0]!, results[1]!];
}

/** max |a - b| / max |b|: relative to the output's scale, so near-zero entries do not dominate. */
function relativeError(actual: number[], expected: number[]): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return diff / scale;
}

describe.runIf(nativeBuilt)('native kernels agree with the cpu backend (relative tolerance 1e-4)', () => {
  const x = () => tf.randomNormal<tf.Rank.R4>([4, 9, 9, 5], 0, 1, 'float32', 1);
  const w = () => tf.randomNormal<tf.Rank.R4>([3, 3, 5, 7], 0, 1, 'float32', 2);

  it.each(['same', 'valid'] as const)('conv2d forward and both gradients (%s padding)', async (pad) => {
    const [cpu, native] = await onBoth(() => {
      const [input, filter] = [x(), w()];
      const dy = tf.randomNormal([4, pad === 'same' ? 9 : 7, pad === 'same' ? 9 : 7, 7], 0, 1, 'float32', 3);
      const y = tf.conv2d(input, filter, 1, pad);
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, pad), dy)))([input, filter]);
      return [y, dx!, dw!];
    });
    expect(native.map((a) => a.length)).toEqual([4 * (pad === 'same' ? 81 : 49) * 7, 4 * 81 * 5, 9 * 5 * 7]);
    for (let i = 0; i < 3; i++) expect(relativeError(native[i]!, cpu[i]!)).toBeLessThan(1e-4);
  });

  it('matmul', async () => {
    const [cpu, native] = await onBoth(() => tf.matMul(tf.randomNormal([64, 200], 0, 1, 'float32', 4), tf.randomNormal([200, 30], 0, 1, 'float32', 5)));
    expect(relativeError(native[0]!, cpu[0]!)).toBeLessThan(1e-4);
  });

  it('max-pool and its gradient', async () => {
    const [cpu, native] = await onBoth(() => {
      const input = x();
      const pooled = tf.maxPool(input, 2, 2, 'valid');
      const grad = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'), tf.mul(tf.onesLike(pooled), 3))))(input);
      return [pooled, grad];
    });
    expect(native[0]).toHaveLength(4 * 4 * 4 * 5);
    expect(relativeError(native[0]!, cpu[0]!)).toBeLessThan(1e-4);
    expect(relativeError(native[1]!, cpu[1]!)).toBeLessThan(1e-4);
  });
});

describe.runIf(nativeBuilt)('memory on the native backend', () => {
  it('returns tf.memory().numTensors to its start after a training step of a small network', async () => {
    await tf.setBackend('tensorflow');
    const filter = tf.variable(tf.randomNormal<tf.Rank.R4>([3, 3, 3, 8], 0, 0.1, 'float32', 6)) as tf.Variable<tf.Rank.R4>;
    const dense = tf.variable(tf.randomNormal([8, 10], 0, 0.1, 'float32', 7));
    const optimizer = tf.train.momentum(0.01, 0.9, true);
    const images = tf.randomNormal<tf.Rank.R4>([16, 8, 8, 3], 0, 1, 'float32', 8);
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5], 'int32'), 10);
    const step = () =>
      optimizer.minimize(() => {
        const features = tf.reshape(tf.relu(tf.maxPool(tf.conv2d(images, filter, 1, 'same'), 8, 8, 'valid')), [16, 8]);
        return tf.losses.softmaxCrossEntropy(labels, tf.matMul(features as tf.Tensor2D, dense)) as tf.Scalar;
      }, true)!;
    step().dispose(); // the first step creates the momentum slots
    const before = tf.memory().numTensors;
    const loss = step();
    expect(loss.dataSync()[0]).toBeGreaterThan(0);
    loss.dispose();
    expect(tf.memory().numTensors).toBe(before);
    optimizer.dispose();
    tf.dispose([filter, dense, images, labels]);
  });
});

describe('backend choice', () => {
  it('refuses an unknown --backend before any work', () => {
    expect(() => parseBackendChoice('tpu')).toThrow("--backend must be one of auto, node-gpu, node, wasm, cpu, not 'tpu'.");
    expect(parseBackendChoice(undefined)).toBe('auto');
  });

  it('the setup script refuses a wrong flag with its usage', () => {
    const run = spawnSync(process.execPath, [setupScript, '--variant', 'tpu'], { cwd: root, encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--variant must be cpu or gpu, not 'tpu'/);
    expect(run.stderr).toMatch(/Usage: node scripts\/setup-native-backend\.mjs/);
  });

  it('says bf16 would be emulated only for the CPU native backend on a CPU without AVX-512', () => {
    for (const isa of ['AVX2', 'pre-AVX2'] as const) expect(emulatedBf16Reason('node', isa)).toMatch(new RegExp(`this CPU \\(${isa}, no AVX-512\\) computes bf16 with TensorFlow's slow Eigen kernels.*11× slower`));
    for (const isa of ['AMX', 'AVX512-BF16', 'AVX512', 'unknown'] as const) expect(emulatedBf16Reason('node', isa)).toBeNull();
    // A GPU, and the backends that never run TensorFlow's kernels, are not this path.
    for (const backend of ['node-gpu', 'wasm', 'cpu']) expect(emulatedBf16Reason(backend, 'AVX2')).toBeNull();
    // auto means the CPU native backend unless tfjs-node-gpu is built.
    const gpuBuilt = existsSync(nativeBinding('@tensorflow/tfjs-node-gpu'));
    expect(emulatedBf16Reason('auto', 'AVX2') === null).toBe(gpuBuilt);
    expect(() => emulatedBf16Reason('tpu', 'AVX2')).toThrow(/--backend must be one of/);
    // Without arguments: this machine's CPU and $AIRBENCH_BACKEND.
    expect(emulatedBf16Reason() === null).toBe(emulatedBf16Reason(process.env.AIRBENCH_BACKEND, cpuIsa()) === null);
  });
});
