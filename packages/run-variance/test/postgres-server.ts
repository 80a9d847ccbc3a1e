import type { TestProject } from 'vitest/node';
import { startPostgres } from './start-postgres';

// Global setup of the tests that need PostgreSQL: one real server per test run
// (start-postgres.ts), stopped afterwards. Never a mock: the store tests' claims,
// leases and kill -9 runs talk to this server.

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const server = await startPostgres();
  project.provide('postgresUrl', server.url);
  process.stderr.write(`[test postgres] PostgreSQL from ${server.bin} on ${server.url}\n`);
  return server.stop;
}

