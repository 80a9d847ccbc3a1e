import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// ---------------------------------------------------------------------------
// Signals kept off TensorFlow's threads (native/signal_guard.c)
// ---------------------------------------------------------------------------
//
// A signal that a handler catches while oneDNN's JIT GEMM runs on the receiving thread corrupts the
// heap (oneDNN #4845; TensorFlow 2.21.0 bundles oneDNN 3.7.3, which has the fault): Ctrl-C with the
// CLIs' handlers, SIGCHLD, a terminal resize. `npm ci` builds the guard into .native/signal-guard/
// (scripts/lib/signal-guard.mjs); called before TensorFlow starts its threads, it blocks the
// asynchronous signals in this thread, which every thread started later inherits, and leaves one
// waiting thread to receive them. Handlers still run. AIRBENCH_SIGNAL_GUARD=0 turns it off.

const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface SignalGuardState {
  /** The signals kept off the threads started from now on (names), empty when off. */
  signals: string[];
  /** Why off, when off. */
  reason: string | null;
}

const names = new Map(Object.entries(constants.signals).map(([name, number]) => [number, name]));

/** Blocks the asynchronous signals in this thread; call before TensorFlow loads. Never throws. */
export function guardSignals(env: NodeJS.ProcessEnv = process.env, dir = join(root, '.native', 'signal-guard')): SignalGuardState {
  if (env.AIRBENCH_SIGNAL_GUARD === '0') return { signals: [], reason: 'AIRBENCH_SIGNAL_GUARD=0' };
  const file = join(dir, 'signal_guard.node');
  if (!existsSync(file)) return { signals: [], reason: `not built (${file}); run 'npm run setup:native'` };
  try {
    const numbers = (require(file) as { block(): number[] }).block();
    return { signals: numbers.map((n) => names.get(n) ?? String(n)), reason: null };
  } catch (error) {
    return { signals: [], reason: `could not load ${file}: ${(error as Error).message.split('\n')[0]}` };
  }
}
