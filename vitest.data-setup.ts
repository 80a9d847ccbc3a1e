import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// Global setup of every project whose tests read CIFAR-10: find it, or fetch it
// into the cache, once per `vitest run` and before any test file starts, the way
// a user's code does ($CIFAR10_DIR, else the cache, else the network; see
// @airbench-ts/cifar-data). The tests then call loadCifar10() with no options and
// get the same copy. The fetch runs in a child process, so the hundreds of MB it
// reads and decodes are not held by vitest's main process for the whole run.
// Projects' global setups share this process, so one promise on globalThis makes
// concurrent projects wait for the same fetch.
const key = Symbol.for('airbench-ts.test-data');
const script = fileURLToPath(new URL('./scripts/fetch-test-data.ts', import.meta.url));

export default async function setup(): Promise<void> {
  const shared = globalThis as { [key]?: Promise<void> };
  shared[key] ??= (async () => {
    // `npm test` (scripts/test.mjs) found or fetched it already, and says where.
    if (process.env.AIRBENCH_TEST_DATA) {
      const { source, dir } = JSON.parse(process.env.AIRBENCH_TEST_DATA) as { source: string; dir: string };
      process.stderr.write(`[test data] CIFAR-10 from the ${source}: ${dir} (verified by npm test)\n`);
      return;
    }
    const started = performance.now();
    const output = execFileSync(process.execPath, ['--import', 'tsx', '--conditions=@airbench-ts/source', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const location = JSON.parse(output.trim().split('\n').pop()!) as { source: string; dir: string };
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stderr.write(`[test data] CIFAR-10 from the ${location.source}: ${location.dir} (${seconds} s)\n`);
  })();
  await shared[key];
}
