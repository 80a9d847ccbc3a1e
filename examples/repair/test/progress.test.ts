import { describe, expect, it } from 'vitest';
import { captureStderr } from '@airbench-ts-example/cli';
import { progressReporter } from '../src/progress';

// Off a terminal (a background run's log), the training of an endpoint takes hours: a line per phase, then one per
// tenth of it, with the time so far and an ETA from this command's own steps (a resumed phase starts part-way).
describe('progress off a terminal', () => {
  it('writes a line per phase and per tenth crossed, from where a resumed phase starts; nothing with --json', () => {
    expect(process.stderr.isTTY).toBeFalsy();
    const { text } = captureStderr(() => {
      const progress = progressReporter(false);
      for (let step = 151; step <= 476; step++) progress.update('train A (seed 0)', step, 476);
      progress.stop();
      for (let k = 1; k <= 5; k++) progress.update('α grid', k, 5);
    });
    const lines = text.trim().split('\n');
    expect(lines[0]).toBe('repair: train A (seed 0)');
    // 151/476 is 31.7%: lines at 40%, 50% … 100%, each with its ETA.
    const steps = lines.slice(1, 8).map((l) => Number(/: (\d+)\/476 \(/.exec(l)?.[1]));
    expect(steps).toEqual([191, 238, 286, 334, 381, 429, 476]); // the first step at or past each tenth
    expect(lines[7]).toMatch(/^repair: train A \(seed 0\): 476\/476 \(100%\), \d+ min \d+ s, ETA 0 min 0 s$/);
    expect(lines[8]).toBe('repair: α grid');
    expect(lines.slice(9).map((l) => /: (\d)\/5 /.exec(l)?.[1])).toEqual(['2', '3', '4', '5']); // 1/5 is where the phase started
    expect(captureStderr(() => progressReporter(true).update('train A (seed 0)', 476, 476)).text).toBe('');
  });

  it('also writes a line every 10 minutes within a tenth, with the ETA from the rate so far', () => {
    let clock = 0;
    const { text } = captureStderr(() => {
      const progress = progressReporter(false, { now: () => clock });
      for (let step = 1; step <= 100; step++) {
        clock += 240_000; // 4 minutes a step: a tenth of 1,000 steps would take 6 h 40 min
        progress.update('train A (seed 0)', step, 1000);
      }
    });
    const lines = text.trim().split('\n').slice(1);
    // The phase starts at step 1; then steps 4, 7, 10 … (12 minutes apart, the first ≥ 10), up to step 100 (the first tenth).
    expect(lines.map((l) => Number(/: (\d+)\/1000 /.exec(l)?.[1]))).toEqual(Array.from({ length: 33 }, (_, k) => 4 + 3 * k));
    expect(lines[0]).toBe('repair: train A (seed 0): 4/1000 (0%), 12 min 0 s, ETA 3984 min 0 s');
  });
});
