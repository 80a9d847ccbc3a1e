import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, startWorkers, workOn, type RunFunction, type RunRecord, type Seeds } from '../src/index';
import { steppedRun } from './fixtures/stepped-run';
import { LABELS, tinyRun } from './fixtures/tiny-run';
import { freshPostgres } from './databases';

const work = mkdtempSync(join(tmpdir(), 'run-variance-harness-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const script = fileURLToPath(new URL('./fixtures/worker.ts', import.meta.url));
const spec = (name: string) => ({ name, config: { classes: 10 }, labels: LABELS });
const seeds = (count: number, skip13 = true): Seeds[] => Array.from({ length: count }, (_, i) => ({ model: i })).filter((s) => !skip13 || s.model !== 13);
const engines = {
  sqlite: async () => `sqlite:${join(work, `harness-${Math.random().toString(36).slice(2)}.db`)}`,
  postgres: freshPostgres,
};

describe('workOn', () => {
  it('runs every pending run, records a run that throws with its stack, and retries it up to the limit', async () => {
    const store = await openStore(await engines.sqlite());
    const experiment = await store.openExperiment(spec('in-process'));
    await store.enqueue(experiment, seeds(16, false));
    const events: { ok: boolean }[] = [];
    const result = await workOn({ store, experiment, run: tinyRun, maxAttempts: 2, onRun: (e) => events.push(e) });
    expect(result).toEqual({ finished: 15, failed: 2, released: false });
    expect(events.filter((e) => e.ok)).toHaveLength(15);
    const unlucky = (await store.runs(experiment)).find((r) => r.seeds.model === 13)!;
    expect(unlucky).toMatchObject({ state: 'failed', attempts: 2 });
    expect(unlucky.error).toMatch(/seed 13 is unlucky\nError: seed 13 is unlucky\n\s+at tinyRun/);
    expect(await store.counts(experiment)).toEqual({ pending: 0, running: 0, done: 15, failed: 1 });
    await store.close();
  });
});

describe('workOn with checkpoints', () => {
  it('warns of a damaged stored checkpoint and starts the run over instead of loading it', async () => {
    const url = await engines.sqlite();
    const store = await openStore(url);
    const experiment = await store.openExperiment(spec('damaged'));
    await store.enqueue(experiment, [{ model: 2 }]);
    const warnings: string[] = [];
    const run: RunFunction = async (seeds, context) => {
      if (context.attempt === 1) {
        expect(await context.checkpoint.load()).toBeNull(); // nothing saved yet
        await context.checkpoint.save(new TextEncoder().encode(JSON.stringify({ step: 3, state: 12345 })), { step: 3 });
        // Damaged at rest before the retry claims the run.
        const Database = (await import('better-sqlite3')).default;
        const db = new Database(url.slice('sqlite:'.length));
        db.prepare(`UPDATE checkpoints SET bytes = ?`).run(Buffer.from('{"step":3,"state":12346}'));
        db.close();
        throw new Error('the first attempt dies after its checkpoint');
      }
      return steppedRun(seeds, context);
    };
    const result = await workOn({ store, experiment, run, maxAttempts: 2, onWarning: (m) => warnings.push(m) });
    expect(result).toEqual({ finished: 1, failed: 1, released: false });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/run \{"model":2\} of 'damaged': its checkpoint of .* does not match its SHA-256; it is not loaded, the run starts over/);
    expect((await store.runs(experiment))[0]!.extra).toMatchObject({ resumedFrom: null });
    await store.close();
  });
});

describe.each(Object.entries(engines))('worker processes on %s', (_engine, makeUrl) => {
  const execArgv = ['--import', 'tsx'];

  it('two workers share the runs: each run is done exactly once', async () => {
    const url = await makeUrl();
    const store = await openStore(url);
    const experiment = await store.openExperiment(spec('shared'));
    await store.enqueue(experiment, seeds(40));
    const pool = startWorkers({ script, args: [url, 'shared'], count: 2, execArgv, env: { RUN_MS: '20' } });
    expect(await pool.done).toEqual([0, 0]);
    const runs = await store.runs(experiment);
    expect(runs).toHaveLength(39);
    expect(runs.every((r) => r.state === 'done' && r.attempts === 1)).toBe(true);
    // Both took part.
    expect(new Set(runs.map((r) => r.worker)).size).toBe(2);
    await store.close();
  });

  it('loses no finished run and duplicates none when every worker is killed -9, and the rerun finishes', async () => {
    const url = await makeUrl();
    const store = await openStore(url);
    const experiment = await store.openExperiment(spec('killed'));
    await store.enqueue(experiment, seeds(30));
    const pool = startWorkers({ script, args: [url, 'killed'], count: 2, execArgv, env: { RUN_MS: '150' } });
    while ((await store.counts(experiment)).done < 6) await new Promise((resolve) => setTimeout(resolve, 50));
    for (const child of pool.children) child.kill('SIGKILL');
    expect(await pool.done).toEqual([137, 137]);
    const before = await store.runs(experiment, { withPredictions: true });
    const doneBefore = before.filter((r) => r.state === 'done');
    expect(doneBefore.length).toBeGreaterThanOrEqual(6);
    expect(before.filter((r) => r.state === 'running').length).toBeGreaterThan(0); // killed mid-run

    // The same command again: the dead workers' runs are reclaimed at once (their pids are gone).
    const rerun = startWorkers({ script, args: [url, 'killed'], count: 2, execArgv, env: { RUN_MS: '10' } });
    expect(await rerun.done).toEqual([0, 0]);
    const after = await store.runs(experiment, { withPredictions: true });
    expect(after).toHaveLength(29);
    expect(after.every((r) => r.state === 'done')).toBe(true);
    const byKey = new Map<string, RunRecord>(after.map((r) => [JSON.stringify(r.seeds), r]));
    for (const run of doneBefore) {
      // Untouched by the rerun: same result, same finishing time.
      expect(byKey.get(JSON.stringify(run.seeds))).toEqual(run);
    }
    expect(after.filter((r) => r.attempts === 2).length).toBe(before.filter((r) => r.state === 'running').length);
    await store.close();
  });

  it('resumes a run whose worker was killed -9 from its checkpoint, under another worker, to the same result', async () => {
    const url = await makeUrl();
    const store = await openStore(url);
    const [killed, whole] = [await store.openExperiment(spec('resumed')), await store.openExperiment(spec('uninterrupted'))];
    await store.enqueue(killed, [{ model: 5 }]);
    await store.enqueue(whole, [{ model: 5 }]);
    const env = { RUN: 'stepped', STEPS: '12' };
    const first = startWorkers({ script, args: [url, 'resumed'], count: 1, execArgv, env: { ...env, STEP_MS: '150' } });
    let progress: { step: number } | undefined;
    while (!(progress && progress.step >= 3)) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      progress = (await store.loadCheckpoint(killed, '{"model":5}'))?.progress as { step: number } | undefined;
    }
    first.children[0]!.kill('SIGKILL');
    expect(await first.done).toEqual([137]);
    const stored = await store.loadCheckpoint(killed, '{"model":5}');
    expect(stored?.intact).toBe(true);
    const atKill = (stored!.progress as { step: number }).step;

    const second = startWorkers({ script, args: [url, 'resumed'], count: 1, execArgv, env });
    const reference = startWorkers({ script, args: [url, 'uninterrupted'], count: 1, execArgv, env });
    expect([await second.done, await reference.done]).toEqual([[0], [0]]);
    const [resumed] = await store.runs(killed, { withPredictions: true });
    const [plain] = await store.runs(whole, { withPredictions: true });
    expect(resumed).toMatchObject({ state: 'done', attempts: 2 });
    const extra = resumed!.extra as { state: number; resumedFrom: number; pid: number };
    expect(extra.resumedFrom).toBeGreaterThanOrEqual(atKill);
    expect(extra.pid).toBe(second.children[0]!.pid); // another process finished it
    expect(extra.state).toBe((plain!.extra as { state: number }).state);
    expect(Buffer.from(resumed!.predictions!).equals(Buffer.from(plain!.predictions!))).toBe(true);
    // A finished run keeps no checkpoint.
    expect(await store.loadCheckpoint(killed, '{"model":5}')).toBeNull();
    await store.close();
  });

  it('on SIGINT (Ctrl-C) gives the runs in progress back and exits cleanly', async () => {
    const url = await makeUrl();
    const store = await openStore(url);
    const experiment = await store.openExperiment(spec('interrupted'));
    await store.enqueue(experiment, seeds(20));
    const pool = startWorkers({ script, args: [url, 'interrupted'], count: 2, execArgv, env: { RUN_MS: '400' } });
    while ((await store.counts(experiment)).running < 2) await new Promise((resolve) => setTimeout(resolve, 50));
    pool.stop();
    expect(await pool.done).toEqual([0, 0]);
    const counts = await store.counts(experiment);
    expect(counts.running).toBe(0);
    expect(counts.done + counts.pending).toBe(19);
    expect((await store.runs(experiment, { state: 'pending' })).every((r) => r.attempts === 0)).toBe(true);
    await store.close();
  });
});
