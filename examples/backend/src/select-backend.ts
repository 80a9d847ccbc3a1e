import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { cpuIsa, enableOneDnn, type CpuIsa, type OneDnnState } from './cpu';
import { loadNativeOps, type NativeOpsState } from './native-ops';
import { guardSignals, type SignalGuardState } from './signal-guard';

const require = createRequire(import.meta.url);

/**
 * How the examples pick a TensorFlow.js backend. Packages never do this: they
 * take whatever backend the application registered.
 *
 * `auto` tries, in order: `node-gpu` (@tensorflow/tfjs-node-gpu), `node`
 * (@tensorflow/tfjs-node; both are the native `tensorflow` backend, built by
 * scripts/setup-native-backend.mjs), `wasm`, `cpu`.
 */
export const BACKEND_CHOICES = ['auto', 'node-gpu', 'node', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export interface BackendInfo {
  /** The choice that loaded. */
  choice: Exclude<BackendChoice, 'auto'>;
  /** tfjs's name for it: 'tensorflow', 'wasm' or 'cpu'. */
  name: string;
  /** The version of the TensorFlow C library behind a native backend, else null. */
  tensorflowVersion: string | null;
  native: boolean;
  /** The CPU's best matrix ISA (AMX, AVX512-BF16, AVX512, AVX2, …). */
  cpu: CpuIsa;
  /** TensorFlow's oneDNN path, for a native backend; null for wasm and cpu. */
  onednn: OneDnnState | null;
  /** Our own TensorFlow ops (native/airbench_ops.cc), on the CPU native backend; null elsewhere. */
  nativeOps: NativeOpsState | null;
  /** Signals kept off TensorFlow's threads (native/signal_guard.c), for a native backend; null elsewhere. */
  signalGuard: SignalGuardState | null;
  /** Why the choices before it were skipped. */
  skipped: { choice: string; reason: string }[];
}

// Measured on a 2-core machine (airbench94 training): native ~200 images/s, cpu ~0.1.
const SLOWDOWN: Record<string, string> = {
  wasm: 'the wasm backend has no Conv2DBackpropFilter kernel: it can evaluate networks but not train them',
  cpu: 'the pure-JS cpu backend trains about 2000× slower than the native one (about 0.1 images/s for airbench94 on 2 cores)',
};

/** Checks a --backend / AIRBENCH_BACKEND value before any work starts. */
export function parseBackendChoice(value: string | undefined): BackendChoice {
  const choice = value ?? 'auto';
  if (!(BACKEND_CHOICES as readonly string[]).includes(choice)) {
    throw new Error(`--backend must be one of ${BACKEND_CHOICES.join(', ')}, not '${choice}'.`);
  }
  return choice as BackendChoice;
}

/**
 * Loads and activates a backend; with `auto`, the fastest that works. Prints
 * the backend and TensorFlow version, and warns when falling back to pure JS.
 */
export async function selectBackend(options: { backend?: string; log?: (line: string) => void } = {}): Promise<BackendInfo> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const requested = parseBackendChoice(options.backend ?? process.env.AIRBENCH_BACKEND);
  const order: Exclude<BackendChoice, 'auto'>[] = requested === 'auto' ? ['node-gpu', 'node', 'wasm', 'cpu'] : [requested];
  const skipped: BackendInfo['skipped'] = [];
  for (const choice of order) {
    try {
      const selected: BackendInfo = { ...(await activate(choice)), skipped };
      log(`backend: ${describe(selected)}`);
      if (!selected.native) {
        const why = skipped.length ? ` (${skipped.map((s) => `${s.choice}: ${s.reason}`).join('; ')})` : '';
        log(`warning: no native TensorFlow backend${why}. ${SLOWDOWN[choice]}. Run 'npm run setup:native' to build it.`);
      }
      return selected;
    } catch (error) {
      skipped.push({ choice, reason: firstLine(error) });
    }
  }
  throw new Error(`no TensorFlow.js backend could be loaded: ${skipped.map((s) => `${s.choice}: ${s.reason}`).join('; ')}`);
}

async function activate(choice: Exclude<BackendChoice, 'auto'>): Promise<Omit<BackendInfo, 'skipped'>> {
  const cpu = cpuIsa();
  if (choice === 'node-gpu' || choice === 'node') {
    const npmPackage = choice === 'node' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu';
    // Check for the binding first: a package that fails half-way through loading
    // leaves its kernels registered, and the next one would register them again.
    const binding = nativeBinding(npmPackage);
    if (!existsSync(binding)) throw new Error(`${npmPackage} has no native binding (${binding}); run 'npm run setup:native'`);
    process.env.TF_CPP_MIN_LOG_LEVEL ??= '2'; // TensorFlow's C++ start-up chatter
    // Before TensorFlow loads: it reads TF_ENABLE_ONEDNN_OPTS once (see cpu.ts for why it is on by default here).
    const onednn = enableOneDnn();
    // Before TensorFlow starts its threads, which inherit the mask (see signal-guard.ts for why).
    const signalGuard = guardSignals();
    await import(npmPackage);
    if (!(await tf.setBackend('tensorflow'))) throw new Error(`${npmPackage} loaded but its backend did not initialise`);
    const loaded = (tf.backend() as unknown as { binding?: { TF_Version?: string } }).binding;
    // CPU kernels only: under tfjs-node-gpu they would copy each activation to the host and back.
    const nativeOps = choice === 'node' ? loadNativeOps() : null;
    return { choice, name: 'tensorflow', tensorflowVersion: loaded?.TF_Version ?? null, native: true, cpu, onednn, nativeOps, signalGuard };
  }
  if (choice === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  else await import('@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend(choice))) throw new Error(`the ${choice} backend did not initialise`);
  return { choice, name: choice, tensorflowVersion: null, native: false, cpu, onednn: null, nativeOps: null, signalGuard: null };
}

/** Where tfjs-node(-gpu) looks for its binding: lib/napi-v<highest N-API version>/tfjs_binding.node. */
export function nativeBinding(npmPackage: string): string {
  let packageJson: string;
  try {
    packageJson = require.resolve(`${npmPackage}/package.json`);
  } catch {
    return `${npmPackage} (not installed)`;
  }
  const { binary } = require(packageJson) as { binary: { module_name: string; napi_versions: number[] } };
  return join(dirname(packageJson), 'lib', `napi-v${Math.max(...binary.napi_versions)}`, `${binary.module_name}.node`);
}

function describe(info: BackendInfo): string {
  const packages: Record<string, string> = {
    'node-gpu': '@tensorflow/tfjs-node-gpu',
    node: '@tensorflow/tfjs-node',
    wasm: '@tensorflow/tfjs-backend-wasm',
    cpu: '@tensorflow/tfjs-backend-cpu',
  };
  const onednn = info.onednn
    ? `; oneDNN ${info.onednn.enabled ? 'on' : 'off'}${info.onednn.setBy === 'user' ? ' (TF_ENABLE_ONEDNN_OPTS)' : ''}${info.onednn.cap ? `, capped at ${info.onednn.cap}` : ''}`
    : '';
  const ops = info.nativeOps ? `; native ops ${info.nativeOps.ops.length ? 'on' : `off: ${info.nativeOps.reason}`}` : '';
  const guard = info.signalGuard ? `; signal guard ${info.signalGuard.signals.length ? 'on' : `off: ${info.signalGuard.reason}`}` : '';
  return `${info.name} (${packages[info.choice]} ${tf.version_core}${info.tensorflowVersion ? `, TensorFlow ${info.tensorflowVersion}` : ''}${onednn}${ops}${guard}; CPU ${info.cpu})`;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 200);
}
