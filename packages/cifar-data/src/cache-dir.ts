import envPaths from 'env-paths';

/**
 * Where fetched datasets are kept: `AIRBENCH_TS_CACHE_DIR` if set, else the user
 * cache directory (`$XDG_CACHE_HOME/airbench-ts` or `~/.cache/airbench-ts` on
 * Linux, `~/Library/Caches/airbench-ts` on macOS, `%LOCALAPPDATA%` on Windows).
 */
export function defaultCacheDir(): string {
  return process.env.AIRBENCH_TS_CACHE_DIR || envPaths('airbench-ts', { suffix: '' }).cache;
}
