import { copyFileSync, existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ExperimentConflictError, InvalidArgumentError, openStore, StoreError, type RunStore, type WorkerId } from '../src/index';
import { freshPostgres } from './databases';
import { LABELS, tinyRun } from './fixtures/tiny-run';

// One suite, run on every engine: SQLite files and the real PostgreSQL server the
// test setup started (test/postgres-server.ts).
const work = mkdtempSync(join(tmpdir(), 'run-variance-store-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const engines = {
  sqlite: async () => `sqlite:${join(work, `store-${Math.random().toString(36).slice(2)}.db`)}`,
  postgres: freshPostgres,
};
const alice: WorkerId = { host: 'host-a', pid: process.pid, tag: 'alice' };
const bob: WorkerId = { host: 'host-b', pid: process.pid, tag: 'bob' };
const spec = { name: 'tiny', config: { variant: 'airbench94', epochs: 2, classes: 10 }, labels: LABELS };

describe.each(Object.entries(engines))('the %s store', (engine, makeUrl) => {
  let store: RunStore;
  // Which runs the concurrent claims gave to whom (PostgreSQL serves them in any order).
  const held = { bob: '', alice: [] as string[] };
  const open = async () => (store = await openStore(await makeUrl()));
  afterAll(async () => store?.close());

  it('creates an experiment, reopens it with the same config, refuses another config or labels', async () => {
    await open();
    expect(store.engine).toBe(engine);
    const experiment = await store.openExperiment(spec);
    expect(experiment.labels).toEqual(LABELS);
    // Key order does not matter: the config is hashed as canonical JSON.
    const again = await store.openExperiment({ ...spec, config: { classes: 10, epochs: 2, variant: 'airbench94' } });
    expect(again.id).toBe(experiment.id);
    await expect(store.openExperiment({ ...spec, config: { ...spec.config, epochs: 3 } })).rejects.toThrow(ExperimentConflictError);
    await expect(store.openExperiment({ ...spec, config: { ...spec.config, epochs: 3 } })).rejects.toThrow(/exists with another config .*Use another --experiment name/);
    await expect(store.openExperiment({ ...spec, labels: LABELS.subarray(1) })).rejects.toThrow(/other test labels/);
    expect((await store.experiments()).map((e) => e.name)).toEqual(['tiny']);
  });

  it('enqueues idempotently, claims in order, and lets no two workers claim one run', async () => {
    const experiment = await store.getExperiment('tiny');
    expect(await store.enqueue(experiment, [{ model: 0 }, { model: 1 }, { model: 2 }])).toBe(3);
    expect(await store.enqueue(experiment, [{ model: 1 }, { model: 3 }])).toBe(1);
    const claims = await Promise.all([store.claim(experiment, alice, 30), store.claim(experiment, bob, 30), store.claim(experiment, alice, 30)]);
    expect(claims.map((c) => c?.seeds.model).sort()).toEqual([0, 1, 2]);
    held.bob = claims[1]!.key;
    held.alice = [claims[0]!.key, claims[2]!.key];
    expect(await store.counts(experiment)).toEqual({ pending: 1, running: 3, done: 0, failed: 0 });
  });

  it('stores a finished run once: a second completion is not stored', async () => {
    const experiment = await store.getExperiment('tiny');
    const key = held.alice[0]!;
    const output = { ...(await tinyRun(JSON.parse(key))), seconds: 1.5 };
    const first = await store.complete(experiment, key, alice, output);
    expect(first.stored).toBe(true);
    expect(first.accuracy).toBeCloseTo(0.9, 1);
    const second = await store.complete(experiment, key, bob, { ...output, seconds: 9 });
    expect(second.stored).toBe(false);
    const [run] = await store.runs(experiment, { state: 'done', withPredictions: true });
    expect(run).toMatchObject({ seeds: JSON.parse(key), state: 'done', attempts: 1, seconds: 1.5, backend: 'none' });
    expect(run!.predictions).toEqual(output.predictions);
  });

  it('retries a failed run up to the limit, releases a claim as if never made, and honours lost leases', async () => {
    const experiment = await store.getExperiment('tiny');
    const find = async (key: string) => (await store.runs(experiment)).find((r) => JSON.stringify(r.seeds) === key);
    await store.fail(experiment, held.bob, bob, 'boom\nstack', 2);
    expect(await find(held.bob)).toMatchObject({ state: 'pending', error: 'boom\nstack', attempts: 1 });
    // Not bob's any more: his heartbeat says so.
    expect(await store.heartbeat(experiment, held.bob, bob, 30)).toBe(false);
    // The pending runs now: bob's failed one (earlier in the order) before model 3.
    const retry = await store.claim(experiment, bob, 30);
    expect(retry).toMatchObject({ key: held.bob, attempts: 2 });
    await store.fail(experiment, held.bob, bob, 'boom again', 2);
    expect((await find(held.bob))?.state).toBe('failed');
    await store.release(experiment, held.alice[1]!, alice);
    expect(await find(held.alice[1]!)).toMatchObject({ state: 'pending', attempts: 0 });
  });

  it('gives an expired lease to another worker (a worker on another machine died)', async () => {
    const experiment = await store.openExperiment({ ...spec, name: 'leases' });
    await store.enqueue(experiment, [{ model: 5 }]);
    const gone: WorkerId = { host: 'elsewhere', pid: 1, tag: 'gone' };
    expect(await store.claim(experiment, gone, 0.5)).not.toBeNull();
    expect(await store.claim(experiment, alice, 30)).toBeNull(); // still leased
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(await store.claim(experiment, alice, 30)).toMatchObject({ seeds: { model: 5 }, attempts: 2 });
  });

  it('refuses bad output, naming it, and stores nothing', async () => {
    const experiment = await store.getExperiment('leases');
    const good = await tinyRun({ model: 5 });
    const bad = [
      [{ ...good, predictions: good.predictions.subarray(1), seconds: 1 }, /Uint8Array of 1000 classes .* but got 999/],
      [{ ...good, predictions: Uint8Array.from(good.predictions, () => 10), seconds: 1 }, /prediction 10 for example 0 is outside the classes 0\.\.9/],
      [{ ...good, seconds: NaN }, /seconds must be a finite number/],
    ] as const;
    for (const [output, message] of bad) {
      await expect(store.complete(experiment, '{"model":5}', alice, output)).rejects.toThrow(InvalidArgumentError);
      await expect(store.complete(experiment, '{"model":5}', alice, output)).rejects.toThrow(message);
    }
    expect((await store.counts(experiment)).done).toBe(0);
  });

  it('keeps one checkpoint per run, written only by its owner, flags damaged bytes, and drops it when the run is done', async () => {
    const experiment = await store.openExperiment({ ...spec, name: 'checkpoints' });
    await store.enqueue(experiment, [{ model: 1 }]);
    const claim = (await store.claim(experiment, alice, 60))!;
    expect(await store.loadCheckpoint(experiment, claim.key)).toBeNull();
    const bytes = (n: number) => Uint8Array.from({ length: 5000 }, (_, i) => (i * n) % 256);
    expect(await store.saveCheckpoint(experiment, claim.key, alice, bytes(3), { step: 3 }, 60)).toBe(true);
    expect(await store.saveCheckpoint(experiment, claim.key, alice, bytes(7), { step: 7 }, 60)).toBe(true);
    // Not bob's run: nothing written.
    expect(await store.saveCheckpoint(experiment, claim.key, bob, bytes(9), { step: 9 }, 60)).toBe(false);
    const latest = (await store.loadCheckpoint(experiment, claim.key))!;
    expect(latest).toMatchObject({ progress: { step: 7 }, intact: true });
    expect(Buffer.from(latest.bytes).equals(Buffer.from(bytes(7)))).toBe(true);

    // A byte flipped at rest (disk, a hand edit) is reported, not hidden.
    const damaged = Buffer.from(bytes(7));
    damaged[2500]! ^= 0x01;
    if (engine === 'sqlite') {
      const Database = (await import('better-sqlite3')).default;
      const db = new Database(store.url.slice('sqlite:'.length));
      db.prepare(`UPDATE checkpoints SET bytes = ?`).run(damaged);
      db.close();
    } else {
      const client = new pg.Client({ connectionString: store.url });
      await client.connect();
      await client.query(`UPDATE checkpoints SET bytes = $1`, [damaged]);
      await client.end();
    }
    expect((await store.loadCheckpoint(experiment, claim.key))!.intact).toBe(false);

    await store.complete(experiment, claim.key, alice, { ...(await tinyRun({ model: 1 })), seconds: 1 });
    expect(await store.loadCheckpoint(experiment, claim.key)).toBeNull();
  });

  it('refuses a store of another schema version', async () => {
    const url = store.url;
    await store.close();
    if (engine === 'sqlite') {
      const Database = (await import('better-sqlite3')).default;
      const db = new Database(url.slice('sqlite:'.length));
      db.prepare(`UPDATE airbench_meta SET value = '99' WHERE key = 'schema_version'`).run();
      db.close();
    } else {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`UPDATE airbench_meta SET value = '99' WHERE key = 'schema_version'`);
      await client.end();
    }
    await expect(openStore(url)).rejects.toThrow(/has schema version 99; this @airbench-ts\/run-variance reads versions 1 to 3/);
    store = await openStore(await makeUrl());
  });
});

describe('schema migrations', () => {
  // fixtures/variance-v1.db: the store the version-1 code wrote (results/variance.db as committed before the
  // schema's second version), cut to the first 4 runs of each of its 5 experiments (DELETE, VACUUM) to stay small;
  // results/variance.db itself has since been migrated by the runs added to it.
  it('migrates a copy of a version-1 store in place: every run reads as before, and checkpoints work', async () => {
    const copy = join(work, 'variance-v1.db');
    copyFileSync(fileURLToPath(new URL('./fixtures/variance-v1.db', import.meta.url)), copy);
    const Database = (await import('better-sqlite3')).default;
    const before = new Database(copy, { readonly: true });
    expect((before.prepare(`SELECT value FROM airbench_meta WHERE key = 'schema_version'`).get() as { value: string }).value).toBe('1');
    const rows = before.prepare(`SELECT experiment_id, seeds_key, state, accuracy, hex(predictions) AS p FROM runs ORDER BY experiment_id, position`).all();
    before.close();
    expect(rows.length).toBe(20);

    // A reader ('read') reads it as it is and writes nothing: still version 1 afterwards.
    const reader = await openStore(`sqlite:${copy}`, { mode: 'read' });
    const [first] = await reader.experiments();
    expect((await reader.runs(first!)).length).toBe(4);
    await reader.close();
    const unchanged = new Database(copy, { readonly: true });
    expect((unchanged.prepare(`SELECT value FROM airbench_meta WHERE key = 'schema_version'`).get() as { value: string }).value).toBe('1');
    unchanged.close();

    const store = await openStore(`sqlite:${copy}`);
    const after = new Database(copy, { readonly: true });
    expect((after.prepare(`SELECT value FROM airbench_meta WHERE key = 'schema_version'`).get() as { value: string }).value).toBe('3');
    // Version 3 keeps predictions deflated: every row shorter on disk, and the same classes read back through the store.
    const stored = after.prepare(`SELECT experiment_id, seeds_key, state, accuracy, length(predictions) AS bytes FROM runs ORDER BY experiment_id, position`).all() as { bytes: number }[];
    after.close();
    stored.forEach((row, i) => expect(row.bytes).toBeLessThan((rows[i] as { p: string }).p.length / 2));
    const read = [];
    for (const experiment of await store.experiments()) {
      for (const run of await store.runs(experiment, { withPredictions: true })) read.push({ experiment_id: experiment.id, seeds_key: JSON.stringify(run.seeds), state: run.state, accuracy: run.accuracy, p: Buffer.from(run.predictions!).toString('hex').toUpperCase() });
    }
    expect(read).toEqual(rows);
    const [experiment] = await store.experiments();
    expect((await store.runs(experiment!)).length).toBeGreaterThan(0);
    await store.enqueue(experiment!, [{ model: 100_000, order: 0, aug: 0 }]);
    const claim = (await store.claim(experiment!, alice, 60))!;
    expect(await store.saveCheckpoint(experiment!, claim.key, alice, new Uint8Array([1, 2, 3]), null, 60)).toBe(true);
    expect((await store.loadCheckpoint(experiment!, claim.key))!.intact).toBe(true);
    await store.close();
    // And opening it again changes nothing.
    await (await openStore(`sqlite:${copy}`)).close();
  });
});

describe('a SQLite store file replaced while open', () => {
  it('is refused on the next call, naming the file, instead of writing into the unlinked old one', async () => {
    const path = join(work, 'replaced.db');
    const store = await openStore(`sqlite:${path}`);
    const experiment = await store.openExperiment({ name: 'x', config: {}, labels: new Uint8Array([0, 1]) });
    await store.enqueue(experiment, [{ s: 0 }]);
    // What `git stash` / `git checkout` does to a tracked file: a new file renamed over the path.
    copyFileSync(path, `${path}.new`);
    renameSync(`${path}.new`, path);
    await expect(store.enqueue(experiment, [{ s: 1 }])).rejects.toThrow(/replaced\.db was replaced by another file while this store had it open \(a git checkout or stash of a committed store\?\)/);
    await expect(store.counts(experiment)).rejects.toThrow(/was replaced/);
    await store.close();
  });
});

describe('the committed store (version 2, or 3 once a worker of this version opened it)', () => {
  it('reads every experiment and run of a copy of results/flip-ablation.db as SQLite holds them, and works on', async () => {
    const copy = join(work, 'flip-ablation-v2.db');
    const Database = (await import('better-sqlite3')).default;
    // The backup API: a consistent copy even while a worker writes to the committed file.
    const source = new Database(fileURLToPath(new URL('../../../results/flip-ablation.db', import.meta.url)), { readonly: true, fileMustExist: true });
    await source.backup(copy);
    source.close();
    const raw = new Database(copy, { readonly: true });
    expect(['2', '3']).toContain((raw.prepare(`SELECT value FROM airbench_meta WHERE key = 'schema_version'`).get() as { value: string }).value);
    const held = raw.prepare(`SELECT e.name, r.seeds_key, r.state, r.accuracy, r.predictions, length(e.labels) AS n FROM runs r JOIN experiments e ON e.id = r.experiment_id ORDER BY r.experiment_id, r.position`).all() as { name: string; seeds_key: string; state: string; accuracy: number | null; predictions: Buffer | null; n: number }[];
    raw.close();
    // As SQLite holds them: one byte an example (version 2), or deflated where shorter (version 3), inflated here by zlib itself.
    const rows = held.map(({ predictions, n, ...row }) => ({ ...row, p: predictions === null ? null : (predictions.length === n ? predictions : inflateRawSync(predictions)).toString('hex').toUpperCase() }));
    expect(rows.filter((r) => r.state === 'done').length).toBeGreaterThan(300);

    const store = await openStore(`sqlite:${copy}`, { mode: 'existing' });
    const read: typeof rows = [];
    for (const experiment of await store.experiments()) {
      for (const run of await store.runs(experiment, { withPredictions: true })) {
        read.push({ name: experiment.name, seeds_key: JSON.stringify(run.seeds), state: run.state, accuracy: run.accuracy, p: run.predictions ? Buffer.from(run.predictions).toString('hex').toUpperCase() : null });
      }
    }
    expect(read).toEqual(rows);
    const [first] = await store.experiments();
    await store.enqueue(first!, [{ epochTenths: 1, flip: 0, seed: 100_000 }]);
    const counts = await store.counts(first!);
    expect(counts.pending).toBeGreaterThan(0);
    await store.close();
  });
});

describe('opening a store creates nothing by accident', () => {
  it("'existing' refuses a missing SQLite file, and any mode a missing directory, creating neither", async () => {
    const missing = join(work, 'no-such-store.db');
    await expect(openStore(`sqlite:${missing}`, { mode: 'existing' })).rejects.toThrow(/there is no store at .*no-such-store\.db; check the path \(`run` creates a new store\)/);
    expect(existsSync(missing)).toBe(false);
    const deep = join(work, 'no-such-dir', 'sub', 'x.db');
    await expect(openStore(`sqlite:${deep}`)).rejects.toThrow(/the directory .*no-such-dir.sub does not exist/);
    expect(existsSync(join(work, 'no-such-dir'))).toBe(false);
    // A SQLite file that is not a store is not turned into one by a reader.
    const other = join(work, 'other.db');
    const Database = (await import('better-sqlite3')).default;
    new Database(other).exec('CREATE TABLE t (x)');
    await expect(openStore(`sqlite:${other}`, { mode: 'existing' })).rejects.toThrow(/is a SQLite file but not a run-variance store/);
  });

  it("'existing' refuses a PostgreSQL database without a store, and creates no tables there", async () => {
    const url = await freshPostgres();
    await expect(openStore(url, { mode: 'existing' })).rejects.toThrow(/this database holds no run-variance store; check the URL/);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const tables = await client.query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'`);
    await client.end();
    expect(tables.rows[0].n).toBe(0);
  });
});

describe('store URLs', () => {
  it.each([
    ['mysql://localhost/db', /not a store URL: use sqlite:<path>/],
    ['sqlite:', /names no file/],
    ['postgres://localhost', /needs a host and a database name/],
    ['', /a store URL is 'sqlite:<path>'/],
  ])('refuses %j with what to use', async (url, message) => {
    await expect(openStore(url)).rejects.toThrow(message);
  });

  it('says so, without the password, when the server is unreachable', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const error = await openStore(`postgres://user:secret@127.0.0.1:${port}/db`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toMatch(/cannot connect to postgres:\/\/user:\*\*\*@127\.0\.0\.1:\d+\/db .*ECONNREFUSED/);
    expect((error as Error).message).not.toMatch(/secret/);
  });

  it('says a file that is not a SQLite database is not one', async () => {
    const file = join(work, 'not-a-db.db');
    writeFileSync(file, 'hello, this is text');
    await expect(openStore(`sqlite:${file}`)).rejects.toThrow(/cannot open .*not-a-db\.db as a SQLite store/);
  });
});
