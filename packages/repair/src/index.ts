/**
 * @airbench-ts/repair: interpolate two aligned networks and repair their
 * statistics (REPAIR, Jordan et al. 2022, docs/papers.md §3.4–3.7). Read top-down:
 * model.ts (the small interface a model implements), interpolate.ts,
 * statistics.ts, reset-bn.ts, repair.ts (forward-pass REPAIR and fusion),
 * closed-form.ts, barrier.ts.
 */
export type { CorrectionSite, ForwardOptions, NormLayer, RepairModel, WeightMap } from './model';
export { interpolateWeights } from './interpolate';
export { ChannelStatistics, measureSites } from './statistics';
export type { SiteStatistics } from './statistics';
export { resetBatchNorm } from './reset-bn';
export { repair, repairTargets, fuse } from './repair';
export { closedFormRepair, closedFormBatchNorm } from './closed-form';
export { barriers, barrierCurve, barrierReduction } from './barrier';
export type { Score } from './barrier';
export { AirbenchError, InvalidArgumentError } from './errors';
