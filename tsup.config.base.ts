import type { Options } from 'tsup';

/**
 * The one place that says how a package is built: ESM + CJS + .d.ts/.d.cts,
 * source maps, a clean dist. Each package's tsup.config.ts calls this with its
 * entries, so a later move to another bundler is a one-file change.
 */
export function packageBuild(entry: Record<string, string>, extra: Partial<Options> = {}): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    outDir: 'dist',
    splitting: false,
    treeshake: true,
    ...extra,
  };
}
