// One vitest project per package and per example. Each folder has its own
// vitest.config.ts (name, environment, timeouts); this file is the single list.
// vitest is pinned to 3.2.x, the last line that reads a workspace file.
export default ['packages/*/vitest.config.ts', 'examples/*/vitest.config.ts', 'docs/vitest.config.ts'];
