import { InvalidArgumentError, StoreError } from '../errors';
import { redact } from './common';
import { postgresDialect } from './postgres';
import { openSqlStore } from './sql-store';
import { sqliteDialect } from './sqlite';
import type { RunStore } from './types';

export interface OpenStoreOptions {
  /**
   * 'create' (default): a new store is made where there is none (SQLite: the file, in a directory that must
   * exist; PostgreSQL: the tables). 'existing': a store must already be there; nothing is created
   * (workers), so a mistyped path is refused instead of becoming an empty store; an older
   * schema is migrated in place. 'read': as 'existing', but nothing is ever written (SQLite
   * opens the file read-only; an older schema is read as it is, not migrated): for reports.
   */
  mode?: 'create' | 'existing' | 'read';
}

/**
 * Opens a store by URL:
 * - `sqlite:results/variance.db` (relative or absolute path; the default engine, one machine);
 * - `postgres://user:password@host:5432/db` or `postgresql://…` (many machines: every worker points at the same URL).
 * The tables are created on first use (mode 'create'); an older schema version is migrated, a newer one refused.
 *
 * @throws InvalidArgumentError for a URL of neither form, StoreError when it cannot be opened
 */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<RunStore> {
  const mode = options.mode ?? 'create';
  if (mode !== 'create' && mode !== 'existing' && mode !== 'read') throw new InvalidArgumentError('mode', `openStore: 'mode' is 'create', 'existing' or 'read', not ${JSON.stringify(mode)}.`);
  if (typeof url !== 'string' || url.length === 0) {
    throw new InvalidArgumentError('store', `a store URL is 'sqlite:<path>' or 'postgres://user@host:port/db', not ${JSON.stringify(url)}.`);
  }
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!path) throw new InvalidArgumentError('store', `'${url}' names no file; use e.g. sqlite:results/variance.db.`);
    return openSqlStore(url, sqliteDialect(url, path, mode), mode);
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (cause) {
      throw new StoreError(url, `'${url}' is not a valid URL (${String(cause)}); use postgres://user:password@host:5432/db.`, { cause });
    }
    if (!parsed.hostname || parsed.pathname.length <= 1) {
      throw new InvalidArgumentError('store', `'${redact(url)}' needs a host and a database name: postgres://user:password@host:5432/db.`);
    }
    return openSqlStore(url, await postgresDialect(url), mode);
  }
  throw new InvalidArgumentError('store', `'${redact(url)}' is not a store URL: use sqlite:<path> (e.g. sqlite:results/variance.db) or postgres://user:password@host:5432/db.`);
}
