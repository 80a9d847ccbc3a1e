import type { Pool, PoolClient } from 'pg';
import { ExperimentConflictError, StoreError } from '../errors';
import { checkOutput, checkSame, checkSpec, hashOf, isAlive, redact, SCHEMA_VERSION, seedsKey, toRecord } from './common';
import type { Claim, Experiment, ExperimentSpec, RunCounts, RunOutput, RunState, RunStore, Seeds, StoredCheckpoint, WorkerId } from './types';

// PostgreSQL through `pg`, for workers on many machines: the database is the
// coordinator. A claim is one statement that locks the first claimable row with
// FOR UPDATE SKIP LOCKED (concurrent claimers skip each other's rows instead of
// waiting) and marks it running with a lease on the database's clock, so the
// machines' clocks do not matter. A worker that dies stops renewing its lease;
// when it expires, the run is claimable again.

// Numbered migrations: MIGRATIONS[v] takes a store of version v-1 to v. SCHEMA
// is the newest version, for a new store.
const MIGRATIONS: Record<number, string> = {
  // 2: the latest checkpoint of each running run, so a reclaimed run resumes.
  2: `
CREATE TABLE IF NOT EXISTS checkpoints (
  experiment_id INTEGER NOT NULL,
  seeds_key TEXT NOT NULL,
  bytes BYTEA NOT NULL,
  sha256 TEXT NOT NULL,
  progress JSONB,
  saved_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (experiment_id, seeds_key),
  FOREIGN KEY (experiment_id, seeds_key) REFERENCES runs (experiment_id, seeds_key)
);
`,
};

const SCHEMA = `
CREATE TABLE IF NOT EXISTS airbench_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS experiments (
  id SERIAL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  config JSONB NOT NULL,
  config_hash TEXT NOT NULL,
  labels BYTEA NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS runs (
  experiment_id INTEGER NOT NULL REFERENCES experiments(id),
  seeds_key TEXT NOT NULL,
  position INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  worker_host TEXT, worker_pid INTEGER, worker_tag TEXT,
  lease_until TIMESTAMPTZ,
  predictions BYTEA, accuracy DOUBLE PRECISION, seconds DOUBLE PRECISION, backend TEXT, extra JSONB, error TEXT,
  finished_at TIMESTAMPTZ,
  PRIMARY KEY (experiment_id, seeds_key)
);
CREATE INDEX IF NOT EXISTS runs_claim ON runs (experiment_id, state, position);
${MIGRATIONS[2]}`;

export async function openPostgresStore(url: string, mode: 'create' | 'existing' = 'create'): Promise<RunStore> {
  let pg: typeof import('pg');
  try {
    pg = (await import('pg')).default as unknown as typeof import('pg');
  } catch (cause) {
    throw new StoreError(url, `${redact(url)}: the 'pg' package is not installed (${String(cause)}); run npm install.`, { cause });
  }
  const pool: Pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 10_000 });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const transaction = async <T>(work: (client: PoolClient) => Promise<T>): Promise<T> => {
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (cause) {
      throw new StoreError(url, `cannot connect to ${redact(url)} (${describe(cause)}). Is the server running and the URL right?`, { cause });
    }
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  };

  try {
    await transaction(async (client) => {
      // Two workers starting at once must not both create the tables.
      await client.query(`SELECT pg_advisory_xact_lock(7714562)`);
      const meta = await client.query(`SELECT to_regclass('airbench_meta') IS NOT NULL AS present`);
      if (!meta.rows[0].present && mode === 'existing') {
        throw new StoreError(url, `${redact(url)}: this database holds no run-variance store; check the URL (\`run\` creates a new store).`);
      }
      if (meta.rows[0].present) {
        const found = await client.query(`SELECT value FROM airbench_meta WHERE key = 'schema_version'`);
        const version = found.rows[0]?.value as string | undefined;
        if (version !== undefined && !(Number(version) >= 1 && Number(version) <= SCHEMA_VERSION)) {
          throw new StoreError(url, `${redact(url)} has schema version ${version}; this @airbench-ts/run-variance reads versions 1 to ${SCHEMA_VERSION}. Use a newer version of the package, or another database.`);
        }
        // An older store is migrated in place, in this transaction: all steps or none.
        for (let v = Number(version ?? SCHEMA_VERSION) + 1; v <= SCHEMA_VERSION; v++) await client.query(MIGRATIONS[v]!);
      }
      await client.query(SCHEMA);
      await client.query(`INSERT INTO airbench_meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [String(SCHEMA_VERSION)]);
    });
  } catch (error) {
    await pool.end().catch(() => {});
    if (error instanceof StoreError) throw error;
    throw new StoreError(url, `${redact(url)}: cannot set up the store (${describe(error)}).`, { cause: error });
  }

  const query = async (text: string, values: unknown[] = []) => {
    try {
      return await pool.query(text, values);
    } catch (cause) {
      throw new StoreError(url, `${redact(url)}: ${describe(cause)}`, { cause });
    }
  };
  const experimentOf = (row: { id: number; name: string; config: unknown; config_hash: string; labels: Buffer } | undefined): Experiment | undefined =>
    row && { id: row.id, name: row.name, config: row.config, configHash: row.config_hash, labels: new Uint8Array(row.labels) };
  const selectExperiment = `SELECT id, name, config, config_hash, labels FROM experiments WHERE name = $1`;

  return {
    url,
    engine: 'postgres',
    async openExperiment(spec: ExperimentSpec) {
      const { configJson, configHash } = checkSpec(spec);
      await query(`INSERT INTO experiments (name, config, config_hash, labels) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING`, [spec.name, configJson, configHash, Buffer.from(spec.labels)]);
      const existing = experimentOf((await query(selectExperiment, [spec.name])).rows[0]);
      return checkSame(existing!, spec, configHash);
    },
    async getExperiment(name: string) {
      const found = experimentOf((await query(selectExperiment, [name])).rows[0]);
      if (!found) throw new ExperimentConflictError(name, `no experiment '${name}' in ${redact(url)}; start it with \`run\` first.`);
      return found;
    },
    async experiments() {
      return (await query(`SELECT id, name, config, config_hash, labels FROM experiments ORDER BY id`)).rows.map((row) => experimentOf(row)!);
    },
    async enqueue(experiment: Experiment, seeds: readonly Seeds[]) {
      const keys = seeds.map(seedsKey);
      return transaction(async (client) => {
        await client.query(`SELECT pg_advisory_xact_lock(7714563, $1)`, [experiment.id]);
        const start = (await client.query(`SELECT COALESCE(MAX(position), -1) + 1 AS next FROM runs WHERE experiment_id = $1`, [experiment.id])).rows[0].next as number;
        const result = await client.query(
          `INSERT INTO runs (experiment_id, seeds_key, position, state)
           SELECT $1, key, $2 + ordinality - 1, 'pending' FROM unnest($3::text[]) WITH ORDINALITY AS t(key, ordinality)
           ON CONFLICT DO NOTHING`,
          [experiment.id, start, keys],
        );
        return result.rowCount ?? 0;
      });
    },
    async claim(experiment: Experiment, worker: WorkerId, leaseSeconds: number) {
      // Runs whose owner on this host is gone need not wait for their lease.
      const mine = await query(`SELECT seeds_key, worker_pid, worker_tag FROM runs WHERE experiment_id = $1 AND state = 'running' AND worker_host = $2`, [experiment.id, worker.host]);
      for (const row of mine.rows) {
        if (row.worker_pid !== null && !isAlive(row.worker_pid)) {
          await query(`UPDATE runs SET lease_until = '-infinity' WHERE experiment_id = $1 AND seeds_key = $2 AND worker_tag = $3`, [experiment.id, row.seeds_key, row.worker_tag]);
        }
      }
      const claimed = await query(
        `UPDATE runs SET state = 'running', attempts = attempts + 1, worker_host = $2, worker_pid = $3, worker_tag = $4,
           lease_until = now() + make_interval(secs => $5), error = NULL
         WHERE experiment_id = $1 AND seeds_key = (
           SELECT seeds_key FROM runs
           WHERE experiment_id = $1 AND (state = 'pending' OR (state = 'running' AND lease_until < now()))
           ORDER BY position LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING seeds_key, attempts`,
        [experiment.id, worker.host, worker.pid, worker.tag, leaseSeconds],
      );
      const row = claimed.rows[0] as { seeds_key: string; attempts: number } | undefined;
      return row ? ({ key: row.seeds_key, seeds: JSON.parse(row.seeds_key) as Seeds, attempts: row.attempts } satisfies Claim) : null;
    },
    async heartbeat(experiment: Experiment, key: string, worker: WorkerId, leaseSeconds: number) {
      const result = await query(
        `UPDATE runs SET lease_until = now() + make_interval(secs => $4) WHERE experiment_id = $1 AND seeds_key = $2 AND state = 'running' AND worker_tag = $3`,
        [experiment.id, key, worker.tag, leaseSeconds],
      );
      return result.rowCount === 1;
    },
    async complete(experiment: Experiment, key: string, worker: WorkerId, output: RunOutput & { seconds: number }) {
      const accuracy = checkOutput(experiment, key, output);
      const result = await transaction(async (client) => {
        // A finished run's checkpoint is of no more use: the store does not grow with them.
        await client.query(`DELETE FROM checkpoints WHERE experiment_id = $1 AND seeds_key = $2`, [experiment.id, key]);
        return client.query(
          `UPDATE runs SET state = 'done', predictions = $3, accuracy = $4, seconds = $5, backend = $6, extra = $7, error = NULL, finished_at = now(),
             worker_host = $8, worker_pid = $9, worker_tag = $10, lease_until = NULL
           WHERE experiment_id = $1 AND seeds_key = $2 AND state <> 'done'`,
          [
            experiment.id,
            key,
            Buffer.from(output.predictions),
            accuracy,
            output.seconds,
            output.backend ?? null,
            output.extra === undefined ? null : JSON.stringify(output.extra),
            worker.host,
            worker.pid,
            worker.tag,
          ],
        );
      });
      return { stored: result.rowCount === 1, accuracy };
    },
    async fail(experiment: Experiment, key: string, worker: WorkerId, error: string, maxAttempts: number) {
      await transaction(async (client) => {
        const result = await client.query(
          `UPDATE runs SET state = CASE WHEN attempts >= $4 THEN 'failed' ELSE 'pending' END, error = $5, worker_host = NULL, worker_pid = NULL, worker_tag = NULL, lease_until = NULL
           WHERE experiment_id = $1 AND seeds_key = $2 AND state = 'running' AND worker_tag = $3
           RETURNING state`,
          [experiment.id, key, worker.tag, maxAttempts, error],
        );
        // A retry resumes from the checkpoint; a run that has failed for good keeps none.
        if (result.rows[0]?.state === 'failed') await client.query(`DELETE FROM checkpoints WHERE experiment_id = $1 AND seeds_key = $2`, [experiment.id, key]);
      });
    },
    async saveCheckpoint(experiment: Experiment, key: string, worker: WorkerId, bytes: Uint8Array, progress: unknown, leaseSeconds: number) {
      const digest = hashOf(bytes);
      return transaction(async (client) => {
        // Only the run's owner writes, and writing renews its lease: one transaction, so a worker that lost the run cannot overwrite the new owner's state.
        const mine = await client.query(
          `UPDATE runs SET lease_until = now() + make_interval(secs => $4) WHERE experiment_id = $1 AND seeds_key = $2 AND state = 'running' AND worker_tag = $3`,
          [experiment.id, key, worker.tag, leaseSeconds],
        );
        if (mine.rowCount !== 1) return false;
        await client.query(
          `INSERT INTO checkpoints (experiment_id, seeds_key, bytes, sha256, progress, saved_at) VALUES ($1, $2, $3, $4, $5, now())
           ON CONFLICT (experiment_id, seeds_key) DO UPDATE SET bytes = excluded.bytes, sha256 = excluded.sha256, progress = excluded.progress, saved_at = excluded.saved_at`,
          [experiment.id, key, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), digest, progress === undefined ? null : JSON.stringify(progress)],
        );
        return true;
      });
    },
    async loadCheckpoint(experiment: Experiment, key: string): Promise<StoredCheckpoint | null> {
      const row = (await query(`SELECT bytes, sha256, progress, saved_at FROM checkpoints WHERE experiment_id = $1 AND seeds_key = $2`, [experiment.id, key])).rows[0] as
        | { bytes: Buffer; sha256: string; progress: unknown; saved_at: Date }
        | undefined;
      if (!row) return null;
      const bytes = new Uint8Array(row.bytes);
      return { bytes, progress: row.progress ?? null, savedAt: new Date(row.saved_at).toISOString(), intact: hashOf(bytes) === row.sha256 };
    },
    async release(experiment: Experiment, key: string, worker: WorkerId) {
      await query(
        `UPDATE runs SET state = 'pending', attempts = GREATEST(attempts - 1, 0), worker_host = NULL, worker_pid = NULL, worker_tag = NULL, lease_until = NULL
         WHERE experiment_id = $1 AND seeds_key = $2 AND state = 'running' AND worker_tag = $3`,
        [experiment.id, key, worker.tag],
      );
    },
    async counts(experiment: Experiment) {
      const counts: RunCounts = { pending: 0, running: 0, done: 0, failed: 0 };
      for (const row of (await query(`SELECT state, COUNT(*)::int AS n FROM runs WHERE experiment_id = $1 GROUP BY state`, [experiment.id])).rows as { state: RunState; n: number }[]) counts[row.state] = row.n;
      return counts;
    },
    async runs(experiment: Experiment, options = {}) {
      const columns = `seeds_key, state, attempts, accuracy, seconds, backend, extra, error, worker_host, worker_pid, worker_tag, finished_at${options.withPredictions ? ', predictions' : ''}`;
      const rows = options.state
        ? await query(`SELECT ${columns} FROM runs WHERE experiment_id = $1 AND state = $2 ORDER BY position`, [experiment.id, options.state])
        : await query(`SELECT ${columns} FROM runs WHERE experiment_id = $1 ORDER BY position`, [experiment.id]);
      return rows.rows.map((row) => toRecord({ ...row, finished_at: row.finished_at ? new Date(row.finished_at).toISOString() : null }));
    },
    async close() {
      await pool.end();
    },
  };
}

function describe(error: unknown): string {
  const e = error as { code?: string; message?: string; errors?: { message: string }[] };
  const inner = e?.errors?.map((x) => x.message).join('; ');
  return [e?.message || inner || String(error), e?.code].filter(Boolean).join(' ');
}
