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
 */
export function projectConfig(name: string, test: UserWorkspaceConfig['test'] = {}, options: { data?: boolean } = {}) {
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
      globalSetup: [
        ...(options.data ? [fileURLToPath(new URL('./vitest.data-setup.ts', import.meta.url))] : []),
        ...[test.globalSetup ?? []].flat(),
      ],
    },
  });
}
