/**
 * @airbench-ts/run-variance/stats: the statistics alone, for runs you already have
 * (a correctness matrix, or accuracies): no store, no driver, no Node built-ins,
 * so it bundles for a browser too. The main entry re-exports all of it.
 */
export { correctnessMatrix, runAccuracies, exampleAccuracies } from './matrix';
export type { CorrectnessMatrix } from './matrix';
export { poissonBinomial } from './poisson-binomial';
export { splitHalfAccuracies, varianceReport } from './variance-report';
export type { VarianceReport, VarianceReportOptions } from './variance-report';
export { compareRuns } from './compare-runs';
export type { CompareRunsOptions, RunComparison } from './compare-runs';
export { meanInterval } from './mean-interval';
export type { MeanInterval } from './mean-interval';
export { budgetToMatch } from './budget-to-match';
export type { BudgetCell, BudgetMatch } from './budget-to-match';
export { calibrationTable } from './calibration';
export type { CalibrationBin } from './calibration';
export { AirbenchError, InvalidArgumentError } from '../errors';
