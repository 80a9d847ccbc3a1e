import { existsSync, statSync } from 'node:fs';
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

export function sqliteDialect(url: string, path: string, mode: 'create' | 'existing' | 'read'): Dialect {
  let Database: typeof BetterSqlite3;
  try {
    Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  } catch (cause) {
    throw new StoreError(url, `${url}: a sqlite: store needs better-sqlite3, which is not installed or did not build (${String(cause)}); npm install better-sqlite3@12.`, { cause });
  }
  const file = resolve(path);
  // Nothing is created by accident: a missing directory is a mistyped path, and only 'create' makes a new file.
  if (!existsSync(dirname(file))) throw new StoreError(url, `${url}: the directory ${dirname(file)} does not exist; check the path, or create the directory first.`);
  if (mode !== 'create' && !existsSync(file)) throw new StoreError(url, `${url}: there is no store at ${file}; check the path (\`run\` creates a new store).`);
  let db: BetterSqlite3.Database;
  try {
    db = new Database(file, { timeout: 30_000, fileMustExist: mode !== 'create', readonly: mode === 'read' });
    if (mode !== 'read') {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
    }
  } catch (cause) {
    throw new StoreError(url, `${url}: cannot open ${file} as a SQLite store (${(cause as Error).message}). Check the path, or that it is a store written by run-variance.`, { cause });
  }

  // The file this connection holds. If something replaces or deletes it while the store is open (a `git checkout`
  // or `git stash` of a committed store, a copy over it), SQLite keeps writing to the old, unlinked file and every
  // later run is lost; so each call first checks that the path still names the same file, and refuses otherwise.
  const opened = statSync(file).ino;
  const checkFile = () => {
    const now = existsSync(file) ? statSync(file).ino : null;
    if (now !== opened) {
      throw new StoreError(url, `${url}: ${file} was ${now === null ? 'deleted' : 'replaced by another file'} while this store had it open (a git checkout or stash of a committed store?); nothing more is written to it. Restore the file, then run the same command again.`);
    }
  };
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
    all: (sql, params) => exclusive(() => (checkFile(), direct.all(sql, params))),
    run: (sql, params) => exclusive(() => (checkFile(), direct.run(sql, params))),
    transaction: (work) =>
      exclusive(async () => {
        checkFile();
        // A reader takes no write lock (a read-only connection cannot).
        db.exec(mode === 'read' ? 'BEGIN' : 'BEGIN IMMEDIATE');
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
