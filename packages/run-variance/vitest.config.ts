import { fileURLToPath } from 'node:url';
import { projectConfig } from '../../vitest.shared';

// A real PostgreSQL server for the store tests, started once per run (test/postgres-server.ts).
// Lane 1 under `npm test` (scripts/test.mjs): light (its workers load no TensorFlow), it evens the two lanes out
// (lane 2 ended 34 s after lane 1 on a new checkout, 2026-12-07).
export default projectConfig('run-variance', { testTimeout: 120_000, globalSetup: [fileURLToPath(new URL('./test/postgres-server.ts', import.meta.url))] }, { threads: true, tensors: false, lane: 1 });
