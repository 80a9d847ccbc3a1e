import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { ExperimentConflictError, StoreError } from '../errors';
import { checkOutput, checkSame, checkSpec, hashOf, isAlive, SCHEMA_VERSION, seedsKey, toRecord, type RunRow } from './common';
import type { Claim, Experiment, ExperimentSpec, RunCounts, RunOutput, RunState, RunStore, Seeds, StoredCheckpoint, WorkerId } from './types';

// SQLite through better-sqlite3, pinned to its 12.x line: 13.x needs Node 22,
// and this project supports Node 20. WAL lets readers (a report, a progress bar)
// run beside the writers; synchronous=FULL makes every committed run survive a
// power cut or `kill -9`; writers queue on busy_timeout. Claims take the write
// lock first (BEGIN IMMEDIATE), so two workers never claim one run.

// Numbered migrations: MIGRATIONS[v] takes a store of version v-1 to v. SCHEMA
// is the newest version, for a new store.
const MIGRATIONS: Record<number, string> = {
  // 2: the latest checkpoint of each running run, so a reclaimed run resumes.
  2: `
CREATE TABLE IF NOT EXISTS checkpoints (
  experiment_id INTEGER NOT NULL,
  seeds_key TEXT NOT NULL,
  bytes BLOB NOT NULL,
  sha256 TEXT NOT NULL,
  progress TEXT,
  saved_at TEXT NOT NULL,
  PRIMARY KEY (experiment_id, seeds_key),
  FOREIGN KEY (experiment_id, seeds_key) REFERENCES runs (experiment_id, seeds_key)
);
`,
};

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
${MIGRATIONS[2]}`;


export function openSqliteStore(url: string, path: string, mode: 'create' | 'existing' = 'create'): RunStore {
  const require = createRequire(import.meta.url);
  let Database: typeof BetterSqlite3;
  try {
    Database = require('better-sqlite3') as typeof BetterSqlite3;
  } catch (cause) {
    throw new StoreError(url, `${url}: better-sqlite3 is not installed or did not build (${String(cause)}); run npm install.`, { cause });
  }
  const file = resolve(path);
  // Nothing is created by accident: a missing directory is a mistyped path, and only 'create' makes a new file.
  if (!existsSync(dirname(file))) throw new StoreError(url, `${url}: the directory ${dirname(file)} does not exist; check the path, or create the directory first.`);
  if (mode === 'existing' && !existsSync(file)) throw new StoreError(url, `${url}: there is no store at ${file}; check the path (\`run\` creates a new store).`);
  let db: BetterSqlite3.Database;
  try {
    db = new Database(file, { timeout: 30_000, fileMustExist: mode === 'existing' });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.transaction(() => {
      const hasMeta = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'airbench_meta'`).get();
      const found = hasMeta ? (db.prepare(`SELECT value FROM airbench_meta WHERE key = 'schema_version'`).get() as { value: string } | undefined)?.value : undefined;
      if (found !== undefined && !(Number(found) >= 1 && Number(found) <= SCHEMA_VERSION)) {
        throw new StoreError(url, `${url} has schema version ${found}; this @airbench-ts/run-variance reads versions 1 to ${SCHEMA_VERSION}. Use a newer version of the package, or another store.`);
      }
      if (mode === 'existing' && found === undefined) {
        throw new StoreError(url, `${url}: ${file} is a SQLite file but not a run-variance store (no airbench_meta table); check the path.`);
      }
      // An older store is migrated in place, in this transaction: all steps or none.
      for (let v = Number(found ?? SCHEMA_VERSION) + 1; v <= SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
      db.exec(SCHEMA);
      db.prepare(`INSERT INTO airbench_meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(String(SCHEMA_VERSION));
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
      const result = db.transaction(() => {
        // A finished run's checkpoint is of no more use: the store does not grow with them.
        db.prepare(`DELETE FROM checkpoints WHERE experiment_id = ? AND seeds_key = ?`).run(experiment.id, key);
        return db
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
      }).immediate();
      return { stored: result.changes === 1, accuracy };
    },
    async fail(experiment: Experiment, key: string, worker: WorkerId, error: string, maxAttempts: number) {
      db.transaction(() => {
        const result = db.prepare(
          `UPDATE runs SET state = CASE WHEN attempts >= ? THEN 'failed' ELSE 'pending' END, error = ?, worker_host = NULL, worker_pid = NULL, worker_tag = NULL, lease_until = NULL
           WHERE experiment_id = ? AND seeds_key = ? AND state = 'running' AND worker_tag = ?`,
        ).run(maxAttempts, error, experiment.id, key, worker.tag);
        // A retry resumes from the checkpoint; a run that has failed for good keeps none.
        if (result.changes === 1) db.prepare(`DELETE FROM checkpoints WHERE experiment_id = ? AND seeds_key = ? AND (SELECT state FROM runs WHERE experiment_id = ? AND seeds_key = ?) = 'failed'`).run(experiment.id, key, experiment.id, key);
      }).immediate();
    },
    async saveCheckpoint(experiment: Experiment, key: string, worker: WorkerId, bytes: Uint8Array, progress: unknown, leaseSeconds: number) {
      const digest = hashOf(bytes);
      return db.transaction(() => {
        // Only the run's owner writes, and writing renews its lease: one transaction, so a worker that lost the run cannot overwrite the new owner's state.
        const mine = db.prepare(`UPDATE runs SET lease_until = ? WHERE experiment_id = ? AND seeds_key = ? AND state = 'running' AND worker_tag = ?`).run(now() + leaseSeconds, experiment.id, key, worker.tag);
        if (mine.changes !== 1) return false;
        db.prepare(
          `INSERT INTO checkpoints (experiment_id, seeds_key, bytes, sha256, progress, saved_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (experiment_id, seeds_key) DO UPDATE SET bytes = excluded.bytes, sha256 = excluded.sha256, progress = excluded.progress, saved_at = excluded.saved_at`,
        ).run(experiment.id, key, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), digest, progress === undefined ? null : JSON.stringify(progress), new Date().toISOString());
        return true;
      }).immediate();
    },
    async loadCheckpoint(experiment: Experiment, key: string): Promise<StoredCheckpoint | null> {
      const row = db.prepare(`SELECT bytes, sha256, progress, saved_at FROM checkpoints WHERE experiment_id = ? AND seeds_key = ?`).get(experiment.id, key) as
        | { bytes: Buffer; sha256: string; progress: string | null; saved_at: string }
        | undefined;
      if (!row) return null;
      const bytes = new Uint8Array(row.bytes);
      return { bytes, progress: row.progress === null ? null : (JSON.parse(row.progress) as unknown), savedAt: row.saved_at, intact: hashOf(bytes) === row.sha256 };
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
