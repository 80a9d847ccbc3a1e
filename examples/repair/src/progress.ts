import { SingleBar } from 'cli-progress';

/** A progress bar on a terminal (stderr); otherwise (a log file of a run of hours) a line per phase and per tenth of it, with its ETA. */
export function progressReporter(quiet: boolean) {
  const stream = process.stderr;
  let bar: SingleBar | null = null;
  let current = '';
  let phase = { started: 0, first: 0, tenth: 0 };
  const minutes = (ms: number) => `${Math.floor(ms / 60_000)} min ${Math.floor((ms % 60_000) / 1000)} s`;
  return {
    update(what: string, done: number, total: number) {
      if (what !== current) {
        bar?.stop();
        current = what;
        phase = { started: performance.now(), first: done, tenth: Math.floor((10 * done) / total) };
        if (stream.isTTY && !quiet) {
          bar = new SingleBar({ format: `  ${what.padEnd(22)} [{bar}] {value}/{total} | {duration_formatted} | ETA {eta_formatted}`, stream, hideCursor: true, etaBuffer: 50 });
          bar.start(total, done);
        } else {
          bar = null;
          if (!quiet) stream.write(`repair: ${what}\n`);
        }
      }
      bar?.update(done);
      const tenth = Math.floor((10 * done) / total);
      if (!bar && !quiet && tenth > phase.tenth && done > phase.first) {
        phase.tenth = tenth;
        // The rate of this command's own steps: a resumed phase starts part-way.
        const elapsed = performance.now() - phase.started;
        stream.write(`repair: ${what}: ${done}/${total} (${Math.round((100 * done) / total)}%), ${minutes(elapsed)}, ETA ${minutes((elapsed / (done - phase.first)) * (total - done))}\n`);
      }
    },
    stop() {
      bar?.stop();
      current = '';
    },
  };
}
