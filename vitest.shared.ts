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
 * of resident memory each, with their child processes): two heavy files side by
 * side took the suite to 3.6 GB, over its 3 GB budget. `npm test`
 * (scripts/test.mjs) runs two lanes, two vitest processes side by side, each
 * one file at a time: lane 1 the heavy projects, lane 2 the others; a project
 * that names its `lane` goes there instead (for balance: the lighter trainings
 * in lane 2, the light run-variance in lane 1). In one
 * process (`npx vitest run`) heavy files run one at a time in a single fork.
 * That schedule is not `npm test`'s because vitest's forks pool runs the
 * single-fork chain only after every multi-fork file, and then alone on ~1.4 of
 * the 2 cores: 403 s on a 2-core AVX2 EPYC, over the 5-minute budget.
 *
 * `threads: true` for projects whose test processes never load the native
 * backend (tfjs-node crashes in worker_threads: tensorflow/tfjs#2079, #8388;
 * their tests use the JS cpu backend and spawn child processes for the rest):
 * in one process they run in a worker thread beside the heavy chain.
 *
 * `tensors: false` for projects whose test processes never import tfjs (their
 * child processes do, through tsx): nothing to pre-bundle for them.
 */
export function projectConfig(
  name: string,
  test: UserWorkspaceConfig['test'] = {},
  options: { data?: boolean; heavy?: boolean; threads?: boolean; lane?: 1 | 2; tensors?: boolean } = {},
) {
  // `npm test` (scripts/test.mjs) runs the workspace as two vitest processes side by side, lanes 1 and 2, each one
  // file at a time, a project's files in one fork (--no-isolate). A project is in lane 1 when heavy, else lane 2,
  // unless it names its lane. A project outside the process's lane keeps no files and starts none of its set-ups.
  const lane = process.env.AIRBENCH_TEST_LANE;
  const laned = lane === '1' || lane === '2';
  const outside = laned && lane !== String(options.lane ?? (options.heavy ? 1 : 2));
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
      ...(laned ? {} : options.heavy ? { poolOptions: { forks: { singleFork: true } } } : options.threads ? { pool: 'threads' as const } : {}),
      // tfjs-core resolves to its ESM build (the `module` field), ~450 files Node cannot load as they are, which
      // vite-node would run one by one in every test file; pre-bundled once per project, collecting took a quarter
      // of the time (README: the suite's figures). tfjs-node stays external: Node loads it, and its CJS tfjs-core.
      // A project outside this process's lane runs nothing here, and one without tensors imports no tfjs: neither
      // bundles anything (on a new checkout both lanes bundled every project's copy before their first test).
      deps: { optimizer: { ssr: { enabled: !outside && options.tensors !== false, include: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-core/dist/register_all_gradients', '@tensorflow/tfjs-backend-cpu'] } } },
      globalSetup: outside
        ? []
        : [...(options.data ? [fileURLToPath(new URL('./vitest.data-setup.ts', import.meta.url))] : []), ...[test.globalSetup ?? []].flat()],
      ...(outside ? { include: [] } : {}),
    },
  });
}
