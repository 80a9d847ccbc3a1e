// ---------------------------------------------------------------------------
// The store, once, over a dialect (SQLite or PostgreSQL, dialect.ts)
// ---------------------------------------------------------------------------
//
// A run moves pending → running (claimed, with a lease) → done | failed. A
// claim takes the store's write lock for one transaction (SQLite) or skips rows
// other claimers hold (PostgreSQL's FOR UPDATE SKIP LOCKED), so no two workers
// ever claim one run. A worker that dies stops renewing its lease; when the
// lease expires, or at once when its process on this host is gone, the run is
// claimed again and resumes from its checkpoint. Finishing is idempotent.
import { ExperimentConflictError, StoreError } from '../errors';
import { checkOutput, checkSame, checkSpec, hashOf, isAlive, redact, seedsKey, toRecord, type RunRow } from './common';
import { render, type Dialect, type Executor } from './dialect';
import { packPredictions, unpackPredictions } from './predictions';
import { MIGRATIONS, SCHEMA, SCHEMA_VERSION } from './schema';
import type { Claim, Experiment, ExperimentSpec, RunCounts, RunOutput, RunState, RunStore, Seeds, StoredCheckpoint, WorkerId } from './types';

interface ExperimentRow {
  id: number;
  name: string;
  config: unknown;
  config_hash: string;
  labels: Uint8Array;
}

/** Creates or migrates the tables (mode 'create'), checks they are there and migrates them ('existing'), or only checks ('read'), then returns the store. */
export async function openSqlStore(url: string, d: Dialect, mode: 'create' | 'existing' | 'read'): Promise<RunStore> {
  try {
    await d.transaction(async (tx) => {
      const present = await d.hasTable(tx, 'airbench_meta');
      if (!present && mode !== 'create') throw new StoreError(url, `${redact(url)}: ${d.notAStore}`);
      const version = present ? (await tx.all<{ value: string }>(`SELECT value FROM airbench_meta WHERE key = 'schema_version'`))[0]?.value : undefined;
      if (version !== undefined && !(Number(version) >= 1 && Number(version) <= SCHEMA_VERSION)) {
        throw new StoreError(url, `${redact(url)} has schema version ${version}; this @airbench-ts/run-variance reads versions 1 to ${SCHEMA_VERSION}. Use a newer version of the package, or another store.`);
      }
      // A reader reads an older store as it is: every version holds the experiments and runs it reads.
      if (mode === 'read') return;
      // An older store is migrated in place, in this transaction: all steps or none.
      for (let v = Number(version ?? SCHEMA_VERSION) + 1; v <= SCHEMA_VERSION; v++) await exec(tx, render(MIGRATIONS[v]!, d));
      if (version !== undefined && Number(version) < 3) await packStoredPredictions(tx);
      await exec(tx, render(SCHEMA, d));
      await tx.run(`INSERT INTO airbench_meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [String(SCHEMA_VERSION)]);
    }, [7714562]);
  } catch (error) {
    await d.close().catch(() => {});
    if (error instanceof StoreError) throw error;
    throw new StoreError(url, `${redact(url)}: cannot open the store (${(error as Error).message}). Check the URL, or that it is a store written by run-variance.`, { cause: error });
  }

  const experimentOf = (row: ExperimentRow | undefined): Experiment | undefined =>
    row && { id: Number(row.id), name: row.name, config: d.readJson(row.config), configHash: row.config_hash, labels: new Uint8Array(row.labels) };
  const selectExperiment = `SELECT id, name, config, config_hash, labels FROM experiments WHERE name = ?`;
  const runColumns = 'seeds_key, state, attempts, accuracy, seconds, backend, extra, error, worker_host, worker_pid, worker_tag, finished_at';
  const bytes = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));
  const iso = (value: unknown) => (value === null || value === undefined ? null : new Date(value as string).toISOString());

  return {
    url,
    engine: d.engine,
    async openExperiment(spec: ExperimentSpec) {
      const { configJson, configHash } = checkSpec(spec);
      const row = await d.transaction(async (tx) => {
        await tx.run(`INSERT INTO experiments (name, config, config_hash, labels, created_at) VALUES (?, ?, ?, ?, ${d.timestamp}) ON CONFLICT (name) DO NOTHING`, [spec.name, configJson, configHash, bytes(spec.labels)]);
        return (await tx.all<ExperimentRow>(selectExperiment, [spec.name]))[0];
      });
      return checkSame(experimentOf(row)!, spec, configHash);
    },
    async getExperiment(name: string) {
      const found = experimentOf((await d.all<ExperimentRow>(selectExperiment, [name]))[0]);
      if (!found) throw new ExperimentConflictError(name, `no experiment '${name}' in ${redact(url)}; start it with \`run\` first.`);
      return found;
    },
    async experiments() {
      return (await d.all<ExperimentRow>(`SELECT id, name, config, config_hash, labels FROM experiments ORDER BY id`)).map((row) => experimentOf(row)!);
    },
    async enqueue(experiment: Experiment, seeds: readonly Seeds[]) {
      const keys = seeds.map(seedsKey);
      return d.transaction(async (tx) => {
        const [{ next }] = (await tx.all<{ next: number }>(`SELECT COALESCE(MAX(position), -1) + 1 AS next FROM runs WHERE experiment_id = ?`, [experiment.id])) as [{ next: number }];
        let added = 0;
        // Many rows a statement (500: within SQLite's parameter limit), positions in the order given.
        for (let at = 0; at < keys.length; at += 500) {
          const chunk = keys.slice(at, at + 500);
          const values = chunk.map(() => `(?, ?, ?, 'pending')`).join(', ');
          added += await tx.run(
            `INSERT INTO runs (experiment_id, seeds_key, position, state) VALUES ${values} ON CONFLICT DO NOTHING`,
            chunk.flatMap((key, i) => [experiment.id, key, Number(next) + at + i]),
          );
        }
        return added;
      }, [7714563, experiment.id]);
    },
    async claim(experiment: Experiment, worker: WorkerId, leaseSeconds: number) {
      return d.transaction(async (tx): Promise<Claim | null> => {
        // Runs whose owner on this host is gone need not wait for their lease.
        const mine = await tx.all<RunRow>(`SELECT seeds_key, worker_pid, worker_tag FROM runs WHERE experiment_id = ? AND state = 'running' AND worker_host = ?`, [experiment.id, worker.host]);
        for (const row of mine) {
          if (row.worker_pid !== null && !isAlive(row.worker_pid)) await tx.run(`UPDATE runs SET lease_until = ${d.expired} WHERE experiment_id = ? AND seeds_key = ? AND worker_tag = ?`, [experiment.id, row.seeds_key, row.worker_tag]);
        }
        const [next] = await tx.all<{ seeds_key: string }>(
          `SELECT seeds_key FROM runs WHERE experiment_id = ? AND (state = 'pending' OR (state = 'running' AND lease_until < ${d.now})) ORDER BY position LIMIT 1${d.claimLock}`,
          [experiment.id],
        );
        if (!next) return null;
        const [claimed] = await tx.all<{ attempts: number }>(
          `UPDATE runs SET state = 'running', attempts = attempts + 1, worker_host = ?, worker_pid = ?, worker_tag = ?, lease_until = ${d.inSeconds}, error = NULL
           WHERE experiment_id = ? AND seeds_key = ? RETURNING attempts`,
          [worker.host, worker.pid, worker.tag, leaseSeconds, experiment.id, next.seeds_key],
        );
        return { key: next.seeds_key, seeds: JSON.parse(next.seeds_key) as Seeds, attempts: claimed!.attempts };
      });
    },
    async heartbeat(experiment: Experiment, key: string, worker: WorkerId, leaseSeconds: number) {
      const changed = await d.run(`UPDATE runs SET lease_until = ${d.inSeconds} WHERE experiment_id = ? AND seeds_key = ? AND state = 'running' AND worker_tag = ?`, [leaseSeconds, experiment.id, key, worker.tag]);
      return changed === 1;
    },
    async complete(experiment: Experiment, key: string, worker: WorkerId, output: RunOutput & { seconds: number }) {
      const accuracy = checkOutput(experiment, key, output);
      const changed = await d.transaction(async (tx) => {
        // A finished run's checkpoint is of no more use: the store does not grow with them.
        await tx.run(`DELETE FROM checkpoints WHERE experiment_id = ? AND seeds_key = ?`, [experiment.id, key]);
        return tx.run(
          `UPDATE runs SET state = 'done', predictions = ?, accuracy = ?, seconds = ?, backend = ?, extra = ?, error = NULL, finished_at = ${d.timestamp},
             worker_host = ?, worker_pid = ?, worker_tag = ?, lease_until = NULL
           WHERE experiment_id = ? AND seeds_key = ? AND state <> 'done'`,
          [bytes(packPredictions(output.predictions)), accuracy, output.seconds, output.backend ?? null, json(output.extra), worker.host, worker.pid, worker.tag, experiment.id, key],
        );
      });
      return { stored: changed === 1, accuracy };
    },
    async fail(experiment: Experiment, key: string, worker: WorkerId, error: string, maxAttempts: number) {
      await d.transaction(async (tx) => {
        const [row] = await tx.all<{ state: RunState }>(
          `UPDATE runs SET state = CASE WHEN attempts >= ? THEN 'failed' ELSE 'pending' END, error = ?, worker_host = NULL, worker_pid = NULL, worker_tag = NULL, lease_until = NULL
           WHERE experiment_id = ? AND seeds_key = ? AND state = 'running' AND worker_tag = ? RETURNING state`,
          [maxAttempts, error, experiment.id, key, worker.tag],
        );
        // A retry resumes from the checkpoint; a run that has failed for good keeps none.
        if (row?.state === 'failed') await tx.run(`DELETE FROM checkpoints WHERE experiment_id = ? AND seeds_key = ?`, [experiment.id, key]);
      });
    },
    async saveCheckpoint(experiment: Experiment, key: string, worker: WorkerId, data: Uint8Array, progress: unknown, leaseSeconds: number) {
      const digest = hashOf(data);
      return d.transaction(async (tx) => {
        // Only the run's owner writes, and writing renews its lease: one transaction, so a worker that lost the run cannot overwrite the new owner's state.
        const mine = await tx.run(`UPDATE runs SET lease_until = ${d.inSeconds} WHERE experiment_id = ? AND seeds_key = ? AND state = 'running' AND worker_tag = ?`, [leaseSeconds, experiment.id, key, worker.tag]);
        if (mine !== 1) return false;
        await tx.run(
          `INSERT INTO checkpoints (experiment_id, seeds_key, bytes, sha256, progress, saved_at) VALUES (?, ?, ?, ?, ?, ${d.timestamp})
           ON CONFLICT (experiment_id, seeds_key) DO UPDATE SET bytes = excluded.bytes, sha256 = excluded.sha256, progress = excluded.progress, saved_at = excluded.saved_at`,
          [experiment.id, key, bytes(data), digest, json(progress)],
        );
        return true;
      });
    },
    async loadCheckpoint(experiment: Experiment, key: string): Promise<StoredCheckpoint | null> {
      const [row] = await d.all<{ bytes: Uint8Array; sha256: string; progress: unknown; saved_at: unknown }>(`SELECT bytes, sha256, progress, saved_at FROM checkpoints WHERE experiment_id = ? AND seeds_key = ?`, [experiment.id, key]);
      if (!row) return null;
      const data = new Uint8Array(row.bytes);
      return { bytes: data, progress: row.progress === null ? null : d.readJson(row.progress), savedAt: iso(row.saved_at)!, intact: hashOf(data) === row.sha256 };
    },
    async release(experiment: Experiment, key: string, worker: WorkerId) {
      await d.run(
        `UPDATE runs SET state = 'pending', attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, worker_host = NULL, worker_pid = NULL, worker_tag = NULL, lease_until = NULL
         WHERE experiment_id = ? AND seeds_key = ? AND state = 'running' AND worker_tag = ?`,
        [experiment.id, key, worker.tag],
      );
    },
    async counts(experiment: Experiment) {
      const counts: RunCounts = { pending: 0, running: 0, done: 0, failed: 0 };
      for (const { state, n } of await d.all<{ state: RunState; n: number }>(`SELECT state, CAST(COUNT(*) AS INTEGER) AS n FROM runs WHERE experiment_id = ? GROUP BY state`, [experiment.id])) counts[state] = Number(n);
      return counts;
    },
    async runs(experiment: Experiment, options = {}) {
      const columns = `${runColumns}${options.withPredictions ? ', predictions' : ''}`;
      const rows = options.state
        ? await d.all<RunRow>(`SELECT ${columns} FROM runs WHERE experiment_id = ? AND state = ? ORDER BY position`, [experiment.id, options.state])
        : await d.all<RunRow>(`SELECT ${columns} FROM runs WHERE experiment_id = ? ORDER BY position`, [experiment.id]);
      const predictions = (row: RunRow) => {
        if (!row.predictions) return row.predictions;
        const unpacked = unpackPredictions(row.predictions, experiment.labels.length);
        if (!unpacked) throw new StoreError(url, `${redact(url)}: run ${row.seeds_key} of '${experiment.name}' holds predictions (${row.predictions.length} bytes) that are not ${experiment.labels.length} classes, raw or deflated: the row is damaged.`);
        return unpacked;
      };
      return rows.map((row) => toRecord({ ...row, predictions: predictions(row), extra: row.extra === null ? null : d.readJson(row.extra), finished_at: iso(row.finished_at) }));
    },
    async close() {
      await d.close();
    },
  };
}

/** Schema 3: the predictions a store already holds, deflated where that is shorter (predictions.ts), in the migration's transaction. */
async function packStoredPredictions(tx: Executor): Promise<void> {
  const rows = await tx.all<{ experiment_id: number; seeds_key: string; predictions: Uint8Array }>(`SELECT experiment_id, seeds_key, predictions FROM runs WHERE predictions IS NOT NULL`);
  for (const row of rows) {
    const packed = packPredictions(new Uint8Array(row.predictions));
    if (packed.length < row.predictions.length) {
      await tx.run(`UPDATE runs SET predictions = ? WHERE experiment_id = ? AND seeds_key = ?`, [Buffer.from(packed.buffer, packed.byteOffset, packed.length), row.experiment_id, row.seeds_key]);
    }
  }
}

/** Runs a script of several statements, one at a time (PostgreSQL's extended protocol takes one per query). */
async function exec(tx: Executor, script: string): Promise<void> {
  for (const statement of script.split(';').map((s) => s.trim()).filter(Boolean)) await tx.run(statement);
}
