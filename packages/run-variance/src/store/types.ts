// ---------------------------------------------------------------------------
// The store: experiments and their runs, on SQLite or PostgreSQL
// ---------------------------------------------------------------------------
//
// A run is keyed by its seeds within an experiment and moves
//   pending → running (claimed, with a lease) → done | failed
// A worker that dies leaves its run 'running'; when the lease expires (or, on
// one machine, when its process is gone) the run is claimed again. Finishing is
// idempotent: a run finished twice keeps its first result.

/** The seeds of one run: plain JSON numbers by name, e.g. { model: 3, order: 3, aug: 3 }. */
export type Seeds = Readonly<Record<string, number>>;

export interface ExperimentSpec {
  name: string;
  /** Plain JSON; hashed. Reopening a name with another config is refused. */
  config: unknown;
  /** The test labels, one per example (0–255), stored once. */
  labels: Uint8Array;
}

export interface Experiment {
  id: number;
  name: string;
  config: unknown;
  configHash: string;
  labels: Uint8Array;
}

/** What a run function returns. */
export interface RunOutput {
  /** One predicted class per test example. */
  predictions: Uint8Array;
  /** Measured seconds of the run (the harness fills it in when absent). */
  seconds?: number;
  /** e.g. 'tensorflow'. */
  backend?: string;
  /** Anything else worth keeping, as JSON. */
  extra?: unknown;
}

export type RunState = 'pending' | 'running' | 'done' | 'failed';

export interface RunRecord {
  seeds: Seeds;
  state: RunState;
  attempts: number;
  accuracy: number | null;
  seconds: number | null;
  backend: string | null;
  extra: unknown;
  error: string | null;
  predictions: Uint8Array | null;
  worker: string | null;
  finishedAt: string | null;
}

export interface Claim {
  seeds: Seeds;
  key: string;
  attempts: number;
}

export interface RunCounts {
  pending: number;
  running: number;
  done: number;
  failed: number;
}

/** A run's latest checkpoint as the store holds it. */
export interface StoredCheckpoint {
  bytes: Uint8Array;
  progress: unknown;
  savedAt: string;
  /** false when the bytes no longer match the SHA-256 stored with them: do not load them. */
  intact: boolean;
}

/** Who holds a claim: a host, a pid and a random tag, so a dead owner can be recognised. */
export interface WorkerId {
  host: string;
  pid: number;
  tag: string;
}

/**
 * One durable store of experiments and runs. Implementations: SQLite (one
 * machine, the default) and PostgreSQL (many machines). Every method is safe to
 * call from several processes at once.
 */
export interface RunStore {
  readonly url: string;
  readonly engine: 'sqlite' | 'postgres';
  /** Creates the experiment, or returns it if it exists with the same config and labels. */
  openExperiment(spec: ExperimentSpec): Promise<Experiment>;
  getExperiment(name: string): Promise<Experiment>;
  /** Every experiment in the store, oldest first. */
  experiments(): Promise<Experiment[]>;
  /** Adds runs as pending; seeds already there are left as they are. Returns how many were new. */
  enqueue(experiment: Experiment, seeds: readonly Seeds[]): Promise<number>;
  /** Takes one pending run (or one whose lease expired or whose owner on this host died) for `worker`. */
  claim(experiment: Experiment, worker: WorkerId, leaseSeconds: number): Promise<Claim | null>;
  /** Extends the lease; false when the run is no longer this worker's. */
  heartbeat(experiment: Experiment, key: string, worker: WorkerId, leaseSeconds: number): Promise<boolean>;
  /** Stores a finished run. A run already done keeps its first result; says whether this one was stored, and its accuracy. */
  complete(experiment: Experiment, key: string, worker: WorkerId, output: RunOutput & { seconds: number }): Promise<{ stored: boolean; accuracy: number }>;
  /** Records an error: back to pending while attempts < maxAttempts, else failed. */
  fail(experiment: Experiment, key: string, worker: WorkerId, error: string, maxAttempts: number): Promise<void>;
  /** Gives a claimed run back (Ctrl-C), as if it had never been claimed. */
  release(experiment: Experiment, key: string, worker: WorkerId): Promise<void>;
  /**
   * Keeps `bytes` as the latest checkpoint of a running run and renews its lease, in one
   * transaction; false (nothing written) when the run is no longer this worker's.
   * `progress` is plain JSON shown beside it (e.g. { step, totalSteps }).
   */
  saveCheckpoint(experiment: Experiment, key: string, worker: WorkerId, bytes: Uint8Array, progress: unknown, leaseSeconds: number): Promise<boolean>;
  /** The latest checkpoint of a run, or null. Removed when the run is done, or has failed for good. */
  loadCheckpoint(experiment: Experiment, key: string): Promise<StoredCheckpoint | null>;
  counts(experiment: Experiment): Promise<RunCounts>;
  /** Every run, in seeds order; `predictions` only with `withPredictions`. */
  runs(experiment: Experiment, options?: { withPredictions?: boolean; state?: RunState }): Promise<RunRecord[]>;
  close(): Promise<void>;
}
