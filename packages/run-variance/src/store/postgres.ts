import type { Pool, PoolClient } from 'pg';
import { StoreError } from '../errors';
import { redact } from './common';
import type { Dialect, Executor } from './dialect';

// PostgreSQL through `pg`, an optional peer dependency loaded only for a
// postgres:// URL: for workers on many machines, the database is the
// coordinator. A claim locks the first claimable row with FOR UPDATE SKIP LOCKED
// (concurrent claimers skip each other's rows instead of waiting); leases run on
// the database's clock, so the machines' clocks do not matter.

export async function postgresDialect(url: string): Promise<Dialect> {
  let pg: typeof import('pg');
  try {
    pg = (await import('pg')).default as unknown as typeof import('pg');
  } catch (cause) {
    throw new StoreError(url, `${redact(url)}: a postgres:// store needs the 'pg' package, which is not installed (${String(cause)}); npm install pg.`, { cause });
  }
  const pool: Pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 10_000 });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  // `?` placeholders become $1, $2, …
  const numbered = (sql: string) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  const on = (client: Pool | PoolClient): Executor => ({
    all: async <Row>(sql: string, params: readonly unknown[] = []) => (await query(client, numbered(sql), params)).rows as Row[],
    run: async (sql: string, params: readonly unknown[] = []) => (await query(client, numbered(sql), params)).rowCount ?? 0,
  });
  const query = async (client: Pool | PoolClient, sql: string, params: readonly unknown[]) => {
    try {
      return await client.query(sql, params as unknown[]);
    } catch (cause) {
      throw new StoreError(url, `${redact(url)}: ${describe(cause)}`, { cause });
    }
  };
  const store = on(pool);

  return {
    engine: 'postgres',
    types: { id: 'SERIAL PRIMARY KEY', blob: 'BYTEA', json: 'JSONB', time: 'TIMESTAMPTZ', lease: 'TIMESTAMPTZ', real: 'DOUBLE PRECISION' },
    now: 'now()',
    inSeconds: 'now() + make_interval(secs => ?)',
    expired: `'-infinity'`,
    timestamp: 'now()',
    claimLock: ' FOR UPDATE SKIP LOCKED',
    ...store,
    async transaction(work, lock) {
      let client: PoolClient;
      try {
        client = await pool.connect();
      } catch (cause) {
        throw new StoreError(url, `cannot connect to ${redact(url)} (${describe(cause)}). Is the server running and the URL right?`, { cause });
      }
      const tx = on(client);
      try {
        await tx.run('BEGIN');
        // e.g. two workers starting at once must not both create the tables.
        // pg_advisory_xact_lock takes one bigint key or two int keys.
        if (lock) await tx.run(`SELECT pg_advisory_xact_lock(${lock.length === 1 ? '?::bigint' : '?::int, ?::int'})`, lock);
        const result = await work(tx);
        await tx.run('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    hasTable: async (tx, name) => (await tx.all<{ present: boolean }>(`SELECT to_regclass(?) IS NOT NULL AS present`, [name]))[0]!.present,
    readJson: (value) => value,
    notAStore: 'this database holds no run-variance store; check the URL (`run` creates a new store).',
    close: () => pool.end(),
  };
}

function describe(error: unknown): string {
  const e = error as { code?: string; message?: string; errors?: { message: string }[] };
  const inner = e?.errors?.map((x) => x.message).join('; ');
  return [e?.message || inner || String(error), e?.code].filter(Boolean).join(' ');
}
