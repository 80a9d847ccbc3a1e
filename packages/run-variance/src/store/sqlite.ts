import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { StoreError } from '../errors';
import type { Dialect, Executor } from './dialect';

// SQLite through better-sqlite3, an optional peer dependency loaded only for a
// sqlite: URL; pinned to its 12.x line, as 13.x needs Node 22 and this project
// supports Node 20. WAL lets readers (a report, a progress bar) run beside the
// writers; synchronous=FULL makes every committed run survive a power cut or
// `kill -9`; writers queue on busy_timeout. Every transaction takes the write
// lock first (BEGIN IMMEDIATE), so two workers never claim one run. The lease
// clock is Unix seconds (REAL), the same in every process on the machine.

export function sqliteDialect(url: string, path: string, mode: 'create' | 'existing'): Dialect {
  let Database: typeof BetterSqlite3;
  try {
    Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  } catch (cause) {
    throw new StoreError(url, `${url}: a sqlite: store needs better-sqlite3, which is not installed or did not build (${String(cause)}); npm install better-sqlite3@12.`, { cause });
  }
  const file = resolve(path);
  // Nothing is created by accident: a missing directory is a mistyped path, and only 'create' makes a new file.
  if (!existsSync(dirname(file))) throw new StoreError(url, `${url}: the directory ${dirname(file)} does not exist; check the path, or create the directory first.`);
  if (mode === 'existing' && !existsSync(file)) throw new StoreError(url, `${url}: there is no store at ${file}; check the path (\`run\` creates a new store).`);
  let db: BetterSqlite3.Database;
  try {
    db = new Database(file, { timeout: 30_000, fileMustExist: mode === 'existing' });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
  } catch (cause) {
    throw new StoreError(url, `${url}: cannot open ${file} as a SQLite store (${(cause as Error).message}). Check the path, or that it is a store written by run-variance.`, { cause });
  }

  const statements = new Map<string, BetterSqlite3.Statement>();
  const prepare = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, (statement = db.prepare(sql)));
    return statement;
  };
  const direct: Executor = {
    all: async <Row>(sql: string, params: readonly unknown[] = []) => prepare(sql).all(...params) as Row[],
    run: async (sql: string, params: readonly unknown[] = []) => prepare(sql).run(...params).changes,
  };
  // One connection: the store's calls take turns, so no statement lands inside another call's transaction.
  let tail: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const turn = tail.then(work, work);
    tail = turn.catch(() => {});
    return turn;
  };

  return {
    engine: 'sqlite',
    types: { id: 'INTEGER PRIMARY KEY AUTOINCREMENT', blob: 'BLOB', json: 'TEXT', time: 'TEXT', lease: 'REAL', real: 'REAL' },
    now: `unixepoch('subsec')`,
    inSeconds: `unixepoch('subsec') + ?`,
    expired: '0',
    timestamp: `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
    claimLock: '',
    all: (sql, params) => exclusive(() => direct.all(sql, params)),
    run: (sql, params) => exclusive(() => direct.run(sql, params)),
    transaction: (work) =>
      exclusive(async () => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const result = await work(direct);
          db.exec('COMMIT');
          return result;
        } catch (error) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw error;
        }
      }),
    hasTable: async (tx, name) => (await tx.all(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`, [name])).length > 0,
    readJson: (value) => (typeof value === 'string' ? (JSON.parse(value) as unknown) : value),
    notAStore: `${file} is a SQLite file but not a run-variance store (no airbench_meta table); check the path.`,
    close: async () => {
      await tail;
      db.close();
    },
  };
}
