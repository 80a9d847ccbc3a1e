import { constants } from 'node:os';

export type StopSignal = 'SIGINT' | 'SIGTERM';

/**
 * Ctrl-C and `kill` (SIGTERM) for a command whose work stops cleanly between steps (a training saves where it is).
 * The first signal calls `onStop`. The same Ctrl-C can arrive twice within moments (the terminal signals the whole
 * process group, and `npm run` forwards it to its child again; both are handled only after a training step, which
 * holds the event loop for seconds): a repeat within `graceMs` is ignored. A later one stops at once (exit 128 + the
 * signal's number), for a user who does not want to wait for the step in progress. Returns the removal of the handlers.
 */
export function onStopSignal(onStop: (signal: StopSignal) => void, graceMs = 2000): () => void {
  let first: number | null = null;
  const handler = (signal: NodeJS.Signals) => {
    if (first === null) {
      first = Date.now();
      onStop(signal as StopSignal);
    } else if (Date.now() - first >= graceMs) {
      process.exit(stopExitCode(signal as StopSignal));
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** The exit code of a command stopped by `signal` (130 for Ctrl-C, 143 for SIGTERM), as a shell reports it. */
export function stopExitCode(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}
