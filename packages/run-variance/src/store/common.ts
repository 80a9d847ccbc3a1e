import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { ExperimentConflictError, InvalidArgumentError } from '../errors';
import type { Experiment, ExperimentSpec, RunOutput, RunRecord, RunState, Seeds, WorkerId } from './types';

/** JSON with object keys sorted, so equal values have one text and one hash. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export function hashOf(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The key of a run within its experiment: its seeds as canonical JSON. */
export function seedsKey(seeds: Seeds): string {
  if (!seeds || typeof seeds !== 'object' || Object.keys(seeds).length === 0 || !Object.values(seeds).every((s) => Number.isSafeInteger(s) && s >= 0)) {
    throw new InvalidArgumentError('seeds', `run seeds must be an object of non-negative integers by name, e.g. { model: 0, order: 0, aug: 0 }; got ${JSON.stringify(seeds)}.`);
  }
  return canonicalJson(seeds);
}

export function checkSpec(spec: ExperimentSpec): { configJson: string; configHash: string } {
  if (typeof spec?.name !== 'string' || !/^[\w.-]{1,100}$/.test(spec.name)) {
    throw new InvalidArgumentError('name', `an experiment name is 1–100 letters, digits, '_', '-' or '.', not ${JSON.stringify(spec?.name)}.`);
  }
  if (!(spec.labels instanceof Uint8Array) || spec.labels.length === 0) {
    throw new InvalidArgumentError('labels', `experiment '${spec.name}': 'labels' must be a non-empty Uint8Array, one class per test example.`);
  }
  const configJson = canonicalJson(spec.config ?? null);
  if (configJson === undefined) throw new InvalidArgumentError('config', `experiment '${spec.name}': 'config' must be plain JSON.`);
  return { configJson, configHash: hashOf(configJson) };
}

/** Refuses reopening an experiment with another config or other labels. */
export function checkSame(existing: Experiment, spec: ExperimentSpec, configHash: string): Experiment {
  if (existing.configHash !== configHash) {
    throw new ExperimentConflictError(
      spec.name,
      `experiment '${spec.name}' exists with another config (hash ${existing.configHash.slice(0, 12)}, this one ${configHash.slice(0, 12)}): its runs would not be comparable. Use another --experiment name, or the same config: ${canonicalJson(existing.config)}`,
    );
  }
  if (hashOf(existing.labels) !== hashOf(spec.labels)) {
    throw new ExperimentConflictError(spec.name, `experiment '${spec.name}' exists with other test labels (${existing.labels.length} stored, ${spec.labels.length} given); use another experiment name.`);
  }
  return existing;
}

/** Checks a run's output against the experiment and returns its accuracy (computed here, never trusted). */
export function checkOutput(experiment: Experiment, key: string, output: RunOutput & { seconds: number }): number {
  const { predictions } = output ?? ({} as RunOutput);
  const n = experiment.labels.length;
  if (!(predictions instanceof Uint8Array) || predictions.length !== n) {
    throw new InvalidArgumentError(
      'predictions',
      `run ${key} of '${experiment.name}': predictions must be a Uint8Array of ${n} classes (one per test example), but got ${predictions instanceof Uint8Array ? `${predictions.length}` : typeof predictions}.`,
    );
  }
  const classes = classCount(experiment);
  for (let i = 0; i < n; i++) {
    if (predictions[i]! >= classes) {
      throw new InvalidArgumentError('predictions', `run ${key} of '${experiment.name}': prediction ${predictions[i]} for example ${i} is outside the classes 0..${classes - 1}.`);
    }
  }
  if (!(Number.isFinite(output.seconds) && output.seconds >= 0)) {
    throw new InvalidArgumentError('seconds', `run ${key} of '${experiment.name}': seconds must be a finite number ≥ 0, but got ${output.seconds}.`);
  }
  let hits = 0;
  for (let i = 0; i < n; i++) if (predictions[i] === experiment.labels[i]) hits += 1;
  return hits / n;
}

/** The experiment's class count: its config's `classes` if it has one, else 1 + the largest label. */
function classCount(experiment: Experiment): number {
  const declared = (experiment.config as { classes?: unknown } | null)?.classes;
  if (Number.isSafeInteger(declared) && (declared as number) > 0) return declared as number;
  let max = 0;
  for (const label of experiment.labels) max = Math.max(max, label);
  return max + 1;
}

export function thisWorker(tag = Math.random().toString(36).slice(2, 10)): WorkerId {
  return { host: hostname(), pid: process.pid, tag };
}

/** Whether a process on this host still runs (a signal-0 probe). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A store URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}

/** A runs-table row as both engines return it ({json} and {time} columns already read by the dialect). */
export interface RunRow {
  seeds_key: string;
  state: RunState;
  attempts: number;
  accuracy: number | null;
  seconds: number | null;
  backend: string | null;
  extra: unknown;
  error: string | null;
  predictions?: Uint8Array | null;
  worker_host: string | null;
  worker_pid: number | null;
  worker_tag: string | null;
  finished_at: string | null;
}

/** A row as the RunRecord the store returns. */
export function toRecord(row: RunRow): RunRecord {
  return {
    seeds: JSON.parse(row.seeds_key) as Seeds,
    state: row.state,
    attempts: row.attempts,
    accuracy: row.accuracy,
    seconds: row.seconds,
    backend: row.backend,
    extra: row.extra ?? null,
    error: row.error,
    predictions: row.predictions ? new Uint8Array(row.predictions) : null,
    worker: row.worker_host ? `${row.worker_host}:${row.worker_pid}` : null,
    finishedAt: row.finished_at === null ? null : String(row.finished_at),
  };
}
