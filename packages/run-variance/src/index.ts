/**
 * @airbench-ts/run-variance: run a training many times and analyse the runs
 * (Jordan 2023, "On the Variance of Neural Network Training with respect to Test
 * Sets and Distributions"). Model-agnostic: a run is a function of its seeds that
 * returns one predicted class per test example. Read top-down: store/types.ts
 * (experiments and runs), store/open-store.ts (sqlite: or postgres://),
 * harness/work.ts (a worker's claim–run–store loop), harness/workers.ts (child
 * processes), then the statistics: stats/matrix.ts, stats/poisson-binomial.ts,
 * stats/variance-report.ts, stats/calibration.ts, stats/compare-runs.ts, stats/mean-interval.ts,
 * stats/budget-to-match.ts.
 */
export { openStore } from './store/open-store';
export type { OpenStoreOptions } from './store/open-store';
export type { Claim, Experiment, ExperimentSpec, RunCounts, RunOutput, RunRecord, RunState, RunStore, Seeds, StoredCheckpoint, WorkerId } from './store/types';
export { workOn } from './harness/work';
export type { CheckpointSlot, RunContext, RunFunction, WorkOptions } from './harness/work';
export { startWorkers } from './harness/workers';
export type { StartWorkersOptions, WorkerPool } from './harness/workers';
export * from './stats/index';
export { AirbenchError, ExperimentConflictError, InvalidArgumentError, StoreError } from './errors';
