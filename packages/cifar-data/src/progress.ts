import { SingleBar } from 'cli-progress';

/** A step of long work (a download, a decode), for callers that draw their own progress. */
export interface ProgressEvent {
  task: string;
  done: number;
  total: number;
  unit: 'bytes' | 'files';
}

/**
 * `true`: a bar with ETA on stderr. `false`: silent. A function: called with each
 * update instead. Default: a bar when stderr is a terminal.
 */
export type ProgressOption = boolean | ((event: ProgressEvent) => void);

export interface Progress {
  update(done: number): void;
  stop(): void;
}

export function startProgress(task: string, total: number, unit: ProgressEvent['unit'], option: ProgressOption | undefined): Progress {
  const setting = option ?? Boolean(process.stderr.isTTY);
  if (typeof setting === 'function') {
    return { update: (done) => setting({ task, done, total, unit }), stop: () => {} };
  }
  if (!setting) return { update: () => {}, stop: () => {} };
  const scale = unit === 'bytes' ? 1 / 2 ** 20 : 1;
  const bar = new SingleBar({
    format: `${task} [{bar}] {percentage}% | {value}/{total} ${unit === 'bytes' ? 'MiB' : unit} | ETA {eta_formatted}`,
    stream: process.stderr,
    hideCursor: true,
    etaBuffer: 50,
  });
  bar.start(Math.round(total * scale), 0);
  return {
    update: (done) => bar.update(Math.round(done * scale)),
    stop: () => bar.stop(),
  };
}
