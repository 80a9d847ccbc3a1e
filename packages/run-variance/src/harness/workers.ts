import { fork, type ChildProcess } from 'node:child_process';
import { InvalidArgumentError } from '../errors';

export interface StartWorkersOptions {
  /** The worker script: it opens the store and calls `workOn` with its run function. */
  script: string;
  args?: string[];
  /** How many child processes. */
  count: number;
  /** Node flags of the children (e.g. a TypeScript loader). Default: this process's. */
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
}

export interface WorkerPool {
  children: ChildProcess[];
  /** Resolves when every child has exited, with their exit codes (signal deaths as 128 + number). */
  done: Promise<number[]>;
  /** Asks every child to stop (SIGINT): each releases its claimed run and exits. */
  stop(): void;
}

/**
 * Starts `count` workers as child processes, never worker_threads: the native
 * TensorFlow backend crashes inside worker threads (tensorflow/tfjs#2079, #8388),
 * and a process can be killed without harming the others. Each child claims runs
 * from the store until none are left; the store, not this pool, decides who runs
 * what, so a child that dies loses nothing but its run in progress.
 */
export function startWorkers(options: StartWorkersOptions): WorkerPool {
  if (!Number.isSafeInteger(options.count) || options.count < 1) {
    throw new InvalidArgumentError('workers', `startWorkers: 'count' must be a positive integer, but got ${options.count}.`);
  }
  const children = Array.from({ length: options.count }, (_, i) =>
    fork(options.script, options.args ?? [], {
      execArgv: options.execArgv ?? process.execArgv,
      env: { ...process.env, ...options.env, AIRBENCH_WORKER_INDEX: String(i) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const done = Promise.all(
    children.map(
      (child) =>
        new Promise<number>((resolve) =>
          child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? signalNumber(signal) : 0))),
        ),
    ),
  );
  return {
    children,
    done,
    stop: () => {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    },
  };
}

function signalNumber(signal: NodeJS.Signals): number {
  return ({ SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 0;
}
