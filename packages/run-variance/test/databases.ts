import pg from 'pg';
import { threadId } from 'node:worker_threads';
import { inject } from 'vitest';

let databases = 0;
/** A new, empty database on the test server, as a store URL. */
export async function freshPostgres(): Promise<string> {
  const base = inject('postgresUrl');
  // Test files run in worker threads of one process: the pid alone is not unique.
  const name = `t_${process.pid}_${threadId}_${databases++}`;
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  return base.replace(/\/postgres$/, `/${name}`);
}
