/**
 * One epoch of a training run, as `train` reports it (`onEpoch`, `TrainResult.history`) and as a checkpoint keeps
 * it (`TrainingState.history`): its own file, so that the training loop and the checkpoint format both use it
 * without importing each other.
 */
export interface EpochRecord {
  epoch: number;
  /** Smoothed cross-entropy per image of the epoch's last batch (airbench's print). */
  trainLoss: number;
  /** Accuracy on the epoch's last batch. */
  trainAcc: number;
  /** Accuracy on `data.test` without TTA, or null without test data. Not timed. */
  valAcc: number | null;
  /** Steps completed so far. */
  steps: number;
  /** Timed seconds so far: whitening init + training steps (per-epoch evaluation excluded). */
  seconds: number;
}
