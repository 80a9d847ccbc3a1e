import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { ExperimentConflictError, StoreError } from '../errors';
import { checkOutput, checkSame, checkSpec, isAlive, SCHEMA_VERSION, seedsKey, toRecord, type RunRow } from './common';
import type { Claim, Experiment, ExperimentSpec, RunCounts, RunOutput, RunState, RunStore, Seeds, WorkerId } from './types';

// SQLite through better-sqlite3, pinned to its 12.x line: 13.x needs Node 22,
// and this project supports Node 20. WAL lets readers (a report, a progress bar)
// run beside the writers; synchronous=FULL makes every committed run survive a
// power cut or `kill -9`; writers queue on busy_timeout. Claims take the write
// lock first (BEGIN IMMEDIATE), so two workers never claim one run.

const SCHEMA = `
CREATE TABLE IF NOT EXISTS airbench_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS experiments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  config TEXT NOT NULL,
  config_hash TEXT NOT NULL,
  labels BLOB NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
  experiment_id INTEGER NOT NULL REFERENCES experiments(id),
  seeds_key TEXT NOT NULL,
  position INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  worker_host TEXT, worker_pid INTEGER, worker_tag TEXT,
  lease_until REAL,
  predictions BLOB, accuracy REAL, seconds REAL, backend TEXT, extra TEXT, error TEXT,
  finished_at TEXT,
  PRIMARY KEY (experiment_id, seeds_key)
);
CREATE INDEX IF NOT EXISTS runs_claim ON runs (experiment_id, state, position);
`;


export function openSqliteStore(url: string, path: string): RunStore {
  const require = createRequire(import.meta.url);
  let Database: typeof BetterSqlite3;
  try {
    Database = require('better-sqlite3') as typeof BetterSqlite3;
  } catch (cause) {
    throw new StoreError(url, `${url}: better-sqlite3 is not installed or did not build (${String(cause)}); run npm install.`, { cause });
  }
  const file = resolve(path);
  let db: BetterSqlite3.Database;
  try {
    mkdirSync(dirname(file), { recursive: true });
    db = new Database(file, { timeout: 30_000 });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.transaction(() => {
      const hasMeta = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'airbench_meta'`).get();
      const found = hasMeta ? (db.prepare(`SELECT value FROM airbench_meta WHERE key = 'schema_version'`).get() as { value: string } | undefined)?.value : undefined;
      if (found !== undefined && Number(found) !== SCHEMA_VERSION) {
        throw new StoreError(url, `${url} has schema version ${found}; this @airbench-ts/run-variance reads version ${SCHEMA_VERSION}. Use a matching version of the package, or another store.`);
      }
      db.exec(SCHEMA);
      db.prepare(`INSERT OR IGNORE INTO airbench_meta (key, value) VALUES ('schema_version', ?)`).run(String(SCHEMA_VERSION));
    }).immediate();
  } catch (error) {
    if (error instanceof StoreError) throw error;
    throw new StoreError(url, `${url}: cannot open ${file} as a SQLite store (${(error as Error).message}). Check the path, or that it is a store written by run-variance.`, { cause: error });
  }

  const experimentOf = (row: { id: number; name: string; config: string; config_hash: string; labels: Buffer } | undefined): Experiment | undefined =>
    row && { id: row.id, name: row.name, config: JSON.parse(row.config) as unknown, configHash: row.config_hash, labels: new Uint8Array(row.labels) };
  const selectExperiment = db.prepare(`SELECT id, name, config, config_hash, labels FROM experiments WHERE name = ?`);
  const now = () => Date.now() / 1000;

  const store: RunStore = {
    url,
    engine: 'sqlite',
    async openExperiment(spec: ExperimentSpec) {
      const { configJson, configHash } = checkSpec(spec);
      return db.transaction(() => {
        const existing = experimentOf(selectExperiment.get(spec.name) as never);
        if (existing) return checkSame(existing, spec, configHash);
        db.prepare(`INSERT INTO experiments (name, config, config_hash, labels, created_at) VALUES (?, ?, ?, ?, ?)`).run(
          spec.name,
          configJson,
          configHash,
          Buffer.from(spec.labels),
          new Date().toISOString(),
        );
        return experimentOf(selectExperiment.get(spec.name) as never)!;
      }).immediate();
    },
    async getExperiment(name: string) {
      const found = experimentOf(selectExperiment.get(name) as never);
      if (!found) throw new ExperimentConflictError(name, `no experiment '${name}' in ${url}; start it with \`run\` first.`);
      return found;
    },
    async experiments() {
      return (db.prepare(`SELECT id, name, config, config_hash, labels FROM experiments ORDER BY id`).all() as never[]).map((row) => experimentOf(row)!);
    },
    async enqueue(experiment: Experiment, seeds: readonly Seeds[]) {
      const keys = seeds.map(seedsKey);
      return db.transaction(() => {
        const start = (db.prepare(`SELECT COALESCE(MAX(position), -1) + 1 AS next FROM runs WHERE experiment_id = ?`).get(experiment.id) as { next: number }).next;
        const insert = db.prepare(`INSERT OR IGNORE INTO runs (experiment_id, seeds_key, position, state) VALUES (?, ?, ?, 'pending')`);
        let added = 0;
        keys.forEach((key, i) => (added += insert.run(experiment.id, key, start + i).changes));
        return added;
      }).immediate();
    },
    async claim(experiment: Experiment, worker: WorkerId, leaseSeconds: number) {
      return db.transaction((): Claim | null => {
        const t = now();
        // Runs whose owner on this host is gone need not wait for their lease.
        const mine = db.prepare(`SELECT seeds_key, worker_pid, worker_tag FROM runs WHERE experiment_id = ? AND state = 'running' AND worker_host = ?`).all(experiment.id, worker.host) as RunRow[];
        for (const row of mine) if (row.worker_pid !== null && !isAlive(row.worker_pid)) db.prepare(`UPDATE runs SET lease_until = 0 WHERE experiment_id = ? AND seeds_key = ? AND worker_tag = ?`).run(experiment.id, row.seeds_key, row.worker_tag);
        const row = db
          .prepare(`SELECT seeds_key FROM runs WHERE experiment_id = ? AND (state = 'pending' OR (state = 'running' AND lease_until < ?)) ORDER BY position LIMIT 1`)
          .get(experiment.id, t) as { seeds_key: string } | undefined;
        if (!row) return null;
        db.prepare(
          `UPDATE runs SET state = 'running', attempts = attempts + 1, worker_host = ?, worker_pid = ?, worker_tag = ?, lease_until = ?, error = NULL WHERE experiment_id = ? AND seeds_key = ?`,
        ).run(worker.host, worker.pid, worker.tag, t + leaseSeconds, experiment.id, row.seeds_key);
        const { attempts } = db.prepare(`SELECT attempts FROM runs WHERE experiment_id = ? AND seeds_key = ?`).get(experiment.id, row.seeds_key) as { attempts: number };
        return { key: row.seeds_key, seeds: JSON.parse(row.seeds_key) as Seeds, attempts };
      }).immediate();
    },
    async heartbeat(experiment: Experiment, key: string, worker: WorkerId, leaseSeconds: number) {
      const result = db
        .prepare(`UPDATE runs SET lease_until = ? WHERE experiment_id = ? AND seeds_key = ? AND state = 'running' AND worker_tag = ?`)
        .run(now() + leaseSeconds, experiment.id, key, worker.tag);
      return result.changes === 1;
    },
    async complete(experiment: Experiment, key: string, worker: WorkerId, output: RunOutput & { seconds: number }) {
      const accuracy = checkOutput(experiment, key, output);
      const result = db
        .prepare(
          `UPDATE runs SET state = 'done', predictions = ?, accuracy = ?, seconds = ?, backend = ?, extra = ?, error = NULL, finished_at = ?,
             worker_host = ?, worker_pid = ?, worker_tag = ?, lease_until = NULL
           WHERE experiment_id = ? AND seeds_key = ? AND state != 'done'`,
        )
        .run(
          Buffer.from(output.predictions),
          accuracy,
          output.seconds,
          output.backend ?? null,
          output.extra === undefined ? null : JSON.stringify(output.extra),
          new Date().toISOString(),
          worker.host,
          worker.pid,
          worker.tag,
          experiment.id,
          key,
        );
      return { stored: result.changes === 1, accuracy };
    },
    async fail(experiment: Experiment, key: string, worker: WorkerId, error: string, maxAttempts: number) {
      db.prepare(
        `UPDATE runs SET state = CASE WHEN attempts >= ? THEN 'failed' ELSE 'pending' END, error = ?, worker_host = NULL, worker_pid = NULL, worker_tag = NULL, lease_until = NULL
         WHERE experiment_id = ? AND seeds_key = ? AND state = 'running' AND worker_tag = ?`,
      ).run(maxAttempts, error, experiment.id, key, worker.tag);
    },
    async release(experiment: Experiment, key: string, worker: WorkerId) {
      db.prepare(
        `UPDATE runs SET state = 'pending', attempts = MAX(attempts - 1, 0), worker_host = NULL, worker_pid = NULL, worker_tag = NULL, lease_until = NULL
         WHERE experiment_id = ? AND seeds_key = ? AND state = 'running' AND worker_tag = ?`,
      ).run(experiment.id, key, worker.tag);
    },
    async counts(experiment: Experiment) {
      const counts: RunCounts = { pending: 0, running: 0, done: 0, failed: 0 };
      for (const { state, n } of db.prepare(`SELECT state, COUNT(*) AS n FROM runs WHERE experiment_id = ? GROUP BY state`).all(experiment.id) as { state: RunState; n: number }[]) counts[state] = n;
      return counts;
    },
    async runs(experiment: Experiment, options = {}) {
      const columns = `seeds_key, state, attempts, accuracy, seconds, backend, extra, error, worker_host, worker_pid, worker_tag, finished_at${options.withPredictions ? ', predictions' : ''}`;
      const rows = (
        options.state
          ? db.prepare(`SELECT ${columns} FROM runs WHERE experiment_id = ? AND state = ? ORDER BY position`).all(experiment.id, options.state)
          : db.prepare(`SELECT ${columns} FROM runs WHERE experiment_id = ? ORDER BY position`).all(experiment.id)
      ) as RunRow[];
      return rows.map(toRecord);
    },
    async close() {
      db.close();
    },
  };
  return store;
}
