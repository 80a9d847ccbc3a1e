import { fileURLToPath } from 'node:url';
import { defineProject, type UserWorkspaceConfig } from 'vitest/config';

// Resolve our own packages from their TypeScript sources (the `@airbench-ts/source`
// export condition), so tests and examples need no build. TEST_DIST=1 drops the
// condition and runs the same suites against the built dist/ instead.
const conditions = process.env.TEST_DIST ? [] : ['@airbench-ts/source'];

/**
 * The vitest project every package and example uses: node, test/ folder, our
 * conditions. `data: true` for projects whose tests read CIFAR-10: it is found
 * or fetched once before they start (vitest.data-setup.ts).
 *
 * `heavy: true` for projects whose test files train real networks (1.5–2.3 GB
 * of resident memory each, with their child processes): vitest runs their files
 * one at a time, after the other projects' files, which run two at a time
 * (`npm test` passes --maxWorkers 2). Two heavy files side by side took the
 * suite to 3.6 GB, over its 3 GB budget; the light ones pair up within it.
 *
 * `threads: true` for projects whose test processes never load the native
 * backend (tfjs-node crashes in worker_threads: tensorflow/tfjs#2079, #8388;
 * their tests use the JS cpu backend and spawn child processes for the rest).
 * vitest runs each pool type beside the others, so these files run in worker
 * threads while the heavy chain runs in its fork: a heavy training keeps about
 * 1.4 of the 2 cores busy, and the rest went unused for two minutes of the
 * suite when the light files all ran before it (npm test 236 s → see README).
 */
export function projectConfig(name: string, test: UserWorkspaceConfig['test'] = {}, options: { data?: boolean; heavy?: boolean; threads?: boolean } = {}) {
  return defineProject({
    resolve: { conditions: [...conditions, 'import', 'module', 'node', 'default'] },
    ssr: { resolve: { conditions: [...conditions, 'import', 'module', 'node', 'default'] } },
    test: {
      name,
      environment: 'node',
      include: ['test/**/*.test.ts'],
      // Set-up that loads data or trains gets the same budget as a test.
      ...(test.testTimeout ? { hookTimeout: test.testTimeout } : {}),
      ...test,
      ...(options.heavy ? { poolOptions: { forks: { singleFork: true } } } : {}),
      ...(options.threads ? { pool: 'threads' as const } : {}),
      // tfjs-core resolves to its ESM build (the `module` field), ~450 files Node cannot load as they are, which
      // vite-node would run one by one in every test file; pre-bundled once per project, collecting took a quarter
      // of the time (README: the suite's figures). tfjs-node stays external: Node loads it, and its CJS tfjs-core.
      deps: { optimizer: { ssr: { enabled: true, include: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-core/dist/register_all_gradients', '@tensorflow/tfjs-backend-cpu'] } } },
      globalSetup: [
        ...(options.data ? [fileURLToPath(new URL('./vitest.data-setup.ts', import.meta.url))] : []),
        ...[test.globalSetup ?? []].flat(),
      ],
    },
  });
}
