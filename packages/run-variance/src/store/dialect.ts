// What differs between SQLite and PostgreSQL, and nothing else: the store
// (sql-store.ts) is written once against this interface. SQL is written with `?`
// placeholders; a dialect turns them into its own.

/** Runs statements: inside a transaction (the one connection it holds), or on the store. */
export interface Executor {
  /** The rows of a query (or of a statement with RETURNING). */
  all<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a statement; returns how many rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

export interface Dialect extends Executor {
  engine: 'sqlite' | 'postgres';
  /** Column types for the schema's {id}, {blob}, {json}, {time}, {lease}, {real}. */
  types: Record<'id' | 'blob' | 'json' | 'time' | 'lease' | 'real', string>;
  /** SQL for the lease clock's now (SQLite: Unix seconds; PostgreSQL: the server's now(), so machines' clocks do not matter). */
  now: string;
  /** SQL for now + one `?` parameter of seconds. */
  inSeconds: string;
  /** SQL for a lease that has already expired. */
  expired: string;
  /** SQL for the current time as stored in {time} columns. */
  timestamp: string;
  /** Appended to the claim's SELECT: concurrent claimers skip each other's rows (PostgreSQL) or nothing (SQLite's write lock). */
  claimLock: string;
  /**
   * Runs `work` in one transaction that holds the store's write lock for its
   * whole length (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock on `lock`,
   * when given, e.g. [experiment id] while enqueueing).
   */
  transaction<T>(work: (tx: Executor) => Promise<T>, lock?: readonly number[]): Promise<T>;
  /** Whether a table exists (a store has airbench_meta). */
  hasTable(tx: Executor, name: string): Promise<boolean>;
  /** A {json} column's value as read back (SQLite: text to parse; PostgreSQL: already parsed). */
  readJson(value: unknown): unknown;
  /** Why a database without the store's tables is refused in mode 'existing'. */
  notAStore: string;
  close(): Promise<void>;
}

/** The schema with a dialect's types in place of its {placeholders}. */
export function render(sql: string, dialect: Pick<Dialect, 'types'>): string {
  return sql.replace(/\{(id|blob|json|time|lease|real)\}/g, (_all, name: keyof Dialect['types']) => dialect.types[name]);
}
