import { SingleBar } from 'cli-progress';

/**
 * A progress bar on a terminal (stderr); otherwise (a log file of a run of hours) a line per phase, then one per tenth
 * of it or every `every` ms (10 minutes: a tenth of a ResNet20 endpoint is ~20 minutes on 2 cores), whichever comes
 * first, with its ETA. `now` is the clock (tests give their own).
 */
export function progressReporter(quiet: boolean, { now = () => performance.now(), every = 10 * 60_000 }: { now?: () => number; every?: number } = {}) {
  const stream = process.stderr;
  let bar: SingleBar | null = null;
  let current = '';
  let phase = { started: 0, first: 0, tenth: 0, written: 0 };
  const minutes = (ms: number) => `${Math.floor(ms / 60_000)} min ${Math.floor((ms % 60_000) / 1000)} s`;
  return {
    update(what: string, done: number, total: number) {
      if (what !== current) {
        bar?.stop();
        current = what;
        phase = { started: now(), first: done, tenth: Math.floor((10 * done) / total), written: now() };
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
      if (!bar && !quiet && done > phase.first && (tenth > phase.tenth || now() - phase.written >= every)) {
        phase.tenth = tenth;
        phase.written = now();
        // The rate of this command's own steps: a resumed phase starts part-way.
        const elapsed = phase.written - phase.started;
        stream.write(`repair: ${what}: ${done}/${total} (${Math.round((100 * done) / total)}%), ${minutes(elapsed)}, ETA ${minutes((elapsed / (done - phase.first)) * (total - done))}\n`);
      }
    },
    stop() {
      bar?.stop();
      current = '';
    },
  };
}
