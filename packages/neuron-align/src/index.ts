/**
 * @airbench-ts/neuron-align: align the neurons of two trained networks
 * (REPAIR, Jordan et al. 2022, docs/papers.md §3.2–3.3). Read top-down: spec.ts (a
 * permutation spec as plain data, and its validation), statistics.ts (activation
 * correlation, streamed), assign.ts (linear assignment), apply.ts (permute the
 * weights; check the function is unchanged), weight-matching.ts (Git Re-Basin's
 * alternative, from the same spec).
 */
export { validateSpec, identityPermutations } from './spec';
export type { PermutationGroup, PermutationSpec, Permutations } from './spec';
export { CorrelationStatistics } from './statistics';
export type { CorrelationResult, StdVariant } from './statistics';
export { solveAssignment } from './assign';
export { permuteWeights, checkEquivalence } from './apply';
export { weightMatching } from './weight-matching';
export type { WeightMatchingOptions } from './weight-matching';
export { AirbenchError, InvalidArgumentError, SpecError } from './errors';
