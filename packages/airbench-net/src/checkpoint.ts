import type { AirbenchConfig } from './config';
import { AirbenchError, InvalidArgumentError } from './errors';
import type { EpochRecord } from './epoch-record';

// ---------------------------------------------------------------------------
// A training's state, to stop and resume it bit for bit
// ---------------------------------------------------------------------------
//
// What a training step depends on, and where it lives in the state:
//   weights and BN running statistics       tensors 'param/<name>', 'buffer/<name>'
//   Nesterov momentum buffers               'momentum/<name>' (only parameters that had a gradient)
//   lookahead's slow copy                   'slow/<name>'
//   whitening filters, and its bias         'param/whiten.weight', 'param/whiten.bias'
//   whether the whitening bias is frozen    derived from `epoch` (config.whiteningBiasEpochs); stored for readers
//   step counter and schedule position      `step` (the lr and lookahead schedules are functions of step and totalSteps)
//   data order, augmentation, flip          `epoch` and `batch`: airbench-net's sources are stateless functions of
//                                           (seed, epoch, image), so the position in the data is their whole state
//
// The bytes (`encodeTrainingState`) are a header, the float32 values and a
// SHA-256 of both, so a truncated or damaged checkpoint is refused, never
// loaded. Where they are stored is the caller's business (a file, a database).

export const TRAINING_STATE_FORMAT = 'airbench-ts/training-state@1';

export interface TrainingState {
  format: typeof TRAINING_STATE_FORMAT;
  /** The config the training ran with; resuming with another is refused. */
  config: AirbenchConfig;
  /** The init seed. */
  seed: number;
  /** Steps completed. */
  step: number;
  totalSteps: number;
  /** The epoch of the next step, and how many of its batches are done. */
  epoch: number;
  batch: number;
  batchesPerEpoch: number;
  /** Whether the whitening bias has stopped training (epoch ≥ config.whiteningBiasEpochs). */
  whiteningBiasFrozen: boolean;
  /** Per-epoch records so far. */
  history: EpochRecord[];
  /** Timed seconds so far. */
  seconds: { whitening: number; training: number };
  /** Every tensor, float32, by kind and name (see above). */
  tensors: Record<string, StateTensor>;
}

export interface StateTensor {
  shape: number[];
  values: Float32Array;
}

const checkpointErrorMarker = Symbol.for('airbench-ts.error.CheckpointError');

/** A checkpoint whose bytes are not a whole training state: truncated, damaged, or of another format. */
export class CheckpointError extends AirbenchError {
  readonly [checkpointErrorMarker] = true;

  constructor(
    /** Where the bytes came from (a path, a store row), as given to decodeTrainingState. */
    readonly source: string,
    message: string,
  ) {
    super(message);
    this.name = 'CheckpointError';
  }

  static override isInstance(error: unknown): error is CheckpointError {
    return AirbenchError.hasMarker(error, checkpointErrorMarker);
  }
}

const MAGIC = new TextEncoder().encode('ABTSTATE');
const DIGEST_BYTES = 32;

interface Header extends Omit<TrainingState, 'tensors'> {
  tensors: { name: string; shape: number[]; offset: number; count: number }[];
}

/** The state as bytes: magic, header length, JSON header, float32 values (little-endian), SHA-256 of all of it. */
export async function encodeTrainingState(state: TrainingState): Promise<Uint8Array> {
  const { tensors, ...rest } = state;
  const entries: Header['tensors'] = [];
  let floats = 0;
  for (const [name, { shape, values }] of Object.entries(tensors)) {
    entries.push({ name, shape, offset: floats, count: values.length });
    floats += values.length;
  }
  const header = new TextEncoder().encode(JSON.stringify({ ...rest, tensors: entries } satisfies Header));
  // The values start on a 4-byte boundary, so a reader can view them without copying.
  const headerEnd = align4(MAGIC.length + 4 + header.length);
  const bytes = new Uint8Array(headerEnd + floats * 4 + DIGEST_BYTES);
  bytes.set(MAGIC, 0);
  new DataView(bytes.buffer).setUint32(MAGIC.length, header.length, true);
  bytes.set(header, MAGIC.length + 4);
  const values = new Float32Array(bytes.buffer, headerEnd, floats);
  for (const [i, { values: v }] of Object.values(tensors).entries()) values.set(v, entries[i]!.offset);
  bytes.set(await sha256(bytes.subarray(0, bytes.length - DIGEST_BYTES)), bytes.length - DIGEST_BYTES);
  return bytes;
}

/**
 * The state from bytes `encodeTrainingState` wrote. Checks the digest first:
 * nothing of a damaged checkpoint is used.
 *
 * @throws CheckpointError naming `source` when the bytes are truncated, damaged or of another format
 */
export async function decodeTrainingState(bytes: Uint8Array, source = 'the checkpoint'): Promise<TrainingState> {
  const fail = (what: string) => new CheckpointError(source, `${source}: ${what}; it is not loaded (resume from an earlier checkpoint, or from the start).`);
  if (!(bytes instanceof Uint8Array)) throw fail(`expected bytes, got ${typeof bytes}`);
  if (bytes.length < MAGIC.length + 4 + DIGEST_BYTES || !MAGIC.every((b, i) => bytes[i] === b)) {
    throw fail(`is not an airbench-ts training state (${bytes.length} bytes, no 'ABTSTATE' header)`);
  }
  const body = bytes.subarray(0, bytes.length - DIGEST_BYTES);
  const expected = bytes.subarray(bytes.length - DIGEST_BYTES);
  const actual = await sha256(body);
  if (!actual.every((b, i) => b === expected[i])) throw fail(`its SHA-256 does not match its contents (truncated or damaged, ${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(MAGIC.length, true);
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + headerLength))) as Header;
  } catch {
    throw fail('its header is not JSON');
  }
  if (header.format !== TRAINING_STATE_FORMAT) throw fail(`is '${String(header.format)}', not ${TRAINING_STATE_FORMAT}`);
  const start = align4(MAGIC.length + 4 + headerLength);
  const floats = header.tensors.reduce((n, t) => n + t.count, 0);
  if (start + floats * 4 !== body.length) throw fail(`its header describes ${floats} values but ${(body.length - start) / 4} follow`);
  // One copy, aligned, that the returned arrays view. (Not bytes.slice: on a Node Buffer, slice is a view.)
  const copy = new Uint8Array(floats * 4);
  copy.set(bytes.subarray(start, start + floats * 4));
  const values = new Float32Array(copy.buffer);
  const tensors: Record<string, StateTensor> = {};
  for (const { name, shape, offset, count } of header.tensors) tensors[name] = { shape, values: values.subarray(offset, offset + count) };
  const { tensors: _entries, ...rest } = header;
  return { ...rest, tensors };
}

/**
 * Refuses (InvalidArgumentError, argument 'resumeFrom') a state that another config, seed or data wrote, as
 * `train` does before any step. Call it first to decide between resuming and starting over.
 */
export function checkResumable(state: TrainingState, config: AirbenchConfig, seed: number, batchesPerEpoch: number, totalSteps: number): void {
  const refuse = (message: string) => new InvalidArgumentError('resumeFrom', `train: cannot resume: ${message}`);
  if (state?.format !== TRAINING_STATE_FORMAT) throw refuse(`'resumeFrom' is '${String(state?.format)}', not a ${TRAINING_STATE_FORMAT} (decode it with decodeTrainingState).`);
  if (stableJson(state.config) !== stableJson(config)) throw refuse(`the state was written by a training with another config (${state.config.name}); resume with the config it was written with.`);
  if (state.seed !== seed) throw refuse(`the state was written by seed ${state.seed}, not ${seed}.`);
  if (state.batchesPerEpoch !== batchesPerEpoch || state.totalSteps !== totalSteps) {
    throw refuse(`the state's data had ${state.batchesPerEpoch} batches an epoch (${state.totalSteps} steps), this one ${batchesPerEpoch} (${totalSteps}); resume with the same data.`);
  }
  if (!(state.step >= 0 && state.step <= totalSteps && state.batch >= 0 && state.batch < batchesPerEpoch)) throw refuse(`its position (step ${state.step}, batch ${state.batch}) is outside the training.`);
}

/** JSON with object keys sorted: equal configs have one text. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** SHA-256 by WebCrypto: in Node ≥ 20 and every browser, so this entry stays free of `node:` imports. */
async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  // Never a SharedArrayBuffer here: the bytes come from encodeTrainingState or a file.
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}
