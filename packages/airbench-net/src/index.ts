/**
 * @airbench-ts/airbench-net: airbench94/95/96 (Jordan 2024, "94% on CIFAR-10 in
 * 3.29 Seconds on a Single GPU") in TensorFlow.js. Read top-down: config.ts
 * (hyperparameters), network.ts, whitening.ts, optimizer.ts, lookahead.ts,
 * schedule.ts, train.ts, checkpoint.ts, evaluate.ts.
 */
export { CONFIGS, PRECISIONS, makeConfig, parameterGroup, toPyTorchSgd, validateConfig } from './config';
export type { AirbenchConfig, BlockKind, NormKind, Precision, SgdValues, VariantName } from './config';
export { makeNet, disposeModel, forward } from './network';
export type { AirbenchModel, ForwardOptions, ForwardResult, NetworkWeights } from './network';
export { initWhitening } from './whitening';
export { permutationSpec } from './permutation-spec';
export type { AirbenchPermutationSpec, PermutationGroupSpec } from './permutation-spec';
export { smoothedCrossEntropySum } from './loss';
export { NesterovSgd } from './optimizer';
export { Muon, newtonSchulz } from './muon';
export { lrMultiplier, lookaheadDecay, totalSteps } from './schedule';
export { train } from './train';
export type { EpochRecord } from './epoch-record';
export type { CheckpointOptions, StepInfo, TrainOptions, TrainResult } from './train';
export { CheckpointError, checkResumable, decodeTrainingState, encodeTrainingState, TRAINING_STATE_FORMAT } from './checkpoint';
export type { StateTensor, TrainingState } from './checkpoint';
export { evaluate, infer } from './evaluate';
export type { Evaluation, EvaluateOptions, TtaLevel } from './evaluate';
// Files: saveModel / loadModel live in '@airbench-ts/airbench-net/node', so this entry bundles for a browser.
export { serializeModel, deserializeModel, MODEL_FORMAT } from './serialize';
export type { ModelManifest } from './serialize';
export type { BatchSource, EpochSource, LabeledBatch, TrainData } from './data';
export { AirbenchError, InvalidArgumentError } from './errors';
