import { fileURLToPath } from 'node:url';
import { projectConfig } from '../../vitest.shared';

// A real PostgreSQL server for the store tests, started once per run (test/postgres-server.ts).
export default projectConfig('run-variance', { testTimeout: 120_000, globalSetup: [fileURLToPath(new URL('./test/postgres-server.ts', import.meta.url))] }, { threads: true });
