// The tables, written once for both engines: {id}, {blob}, {json}, {time}, {lease}
// and {real} are each dialect's column types (dialect.ts).

/** The version of the tables; an older store is migrated in place (MIGRATIONS), a newer one refused. */
export const SCHEMA_VERSION = 3;

/** MIGRATIONS[v] takes a store of version v-1 to v. */
export const MIGRATIONS: Record<number, string> = {
  // 2: the latest checkpoint of each running run, so a reclaimed run resumes.
  2: `
CREATE TABLE IF NOT EXISTS checkpoints (
  experiment_id INTEGER NOT NULL,
  seeds_key TEXT NOT NULL,
  bytes {blob} NOT NULL,
  sha256 TEXT NOT NULL,
  progress {json},
  saved_at {time} NOT NULL,
  PRIMARY KEY (experiment_id, seeds_key),
  FOREIGN KEY (experiment_id, seeds_key) REFERENCES runs (experiment_id, seeds_key)
);
`,
  // 3: predictions deflated where shorter (predictions.ts: the length tells raw from deflated). No table changes; the
  // rows are packed by the migration's code (sql-store.ts), and a package that reads only raw rows refuses version 3.
  3: `UPDATE airbench_meta SET value = value WHERE key = 'schema_version'`,
};

/** The newest schema, for a new store (every statement IF NOT EXISTS, so it is a no-op on a current one). */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS airbench_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS experiments (
  id {id},
  name TEXT NOT NULL UNIQUE,
  config {json} NOT NULL,
  config_hash TEXT NOT NULL,
  labels {blob} NOT NULL,
  created_at {time} NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
  experiment_id INTEGER NOT NULL REFERENCES experiments(id),
  seeds_key TEXT NOT NULL,
  position INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  worker_host TEXT, worker_pid INTEGER, worker_tag TEXT,
  lease_until {lease},
  predictions {blob}, accuracy {real}, seconds {real}, backend TEXT, extra {json}, error TEXT,
  finished_at {time},
  PRIMARY KEY (experiment_id, seeds_key)
);
CREATE INDEX IF NOT EXISTS runs_claim ON runs (experiment_id, state, position);
${MIGRATIONS[2]}`;
