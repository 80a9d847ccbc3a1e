import * as tf from '@tensorflow/tfjs-core';

// A recipe training's state as bytes, so that an interrupted endpoint resumes:
// "ABEPSTAT", a header length, the JSON header (position in the run, the
// tensors' specs, the SHA-256 of their bytes), then the tensors as
// tf.io.encodeWeights lays them out. A damaged or foreign state is refused with
// an error naming its source; the caller then trains from the start.

const MAGIC = new TextEncoder().encode('ABEPSTAT');
export const ENDPOINT_STATE_FORMAT = 'airbench-ts/endpoint-state@1';

export interface EndpointState {
  /** What the state belongs to: the caller's key (model, recipe, seed, data); a state of another key is refused. */
  key: string;
  step: number;
  epoch: number;
  /** Batches of `epoch` already done. */
  batch: number;
  /** Every weight, then the optimiser's weights (tfjs's getWeights: iterations, then one accumulator per trainable variable, in order). */
  weights: Record<string, tf.Tensor>;
  optimizer: { name: string; tensor: tf.Tensor }[];
}

interface Header {
  format: typeof ENDPOINT_STATE_FORMAT;
  key: string;
  step: number;
  epoch: number;
  batch: number;
  weightNames: string[];
  optimizerNames: string[];
  specs: tf.io.WeightsManifestEntry[];
  sha256: string;
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function encodeEndpointState(state: EndpointState): Promise<Uint8Array> {
  // Optimiser entries get a prefix so that their names cannot meet a weight's.
  const named: Record<string, tf.Tensor> = { ...state.weights };
  state.optimizer.forEach((w, i) => (named[`optimizer/${i}`] = w.tensor));
  const { data, specs } = await tf.io.encodeWeights(named);
  const body = new Uint8Array(data);
  const header: Header = {
    format: ENDPOINT_STATE_FORMAT,
    key: state.key,
    step: state.step,
    epoch: state.epoch,
    batch: state.batch,
    weightNames: Object.keys(state.weights),
    optimizerNames: state.optimizer.map((w) => w.name),
    specs,
    sha256: await sha256(body),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(MAGIC.length + 4 + json.length + body.length);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(MAGIC.length, json.length, true);
  out.set(json, MAGIC.length + 4);
  out.set(body, MAGIC.length + 4 + json.length);
  return out;
}

/** The state in `bytes`, or an Error naming `source` and what is wrong (not the format, damaged, another key). */
export async function decodeEndpointState(bytes: Uint8Array, key: string, source: string): Promise<EndpointState> {
  const fail = (why: string) => new Error(`${source}: ${why}`);
  if (bytes.length < MAGIC.length + 4 || MAGIC.some((b, i) => bytes[i] !== b)) throw fail('not an endpoint training state');
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(MAGIC.length, true);
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + length))) as Header;
  } catch {
    throw fail('its header is damaged');
  }
  if (header.format !== ENDPOINT_STATE_FORMAT) throw fail(`format '${String(header.format)}', not ${ENDPOINT_STATE_FORMAT}`);
  if (header.key !== key) throw fail('it belongs to another endpoint (model, recipe, seed or data differ)');
  // A copy of the body: decodeWeights views the buffer it is given.
  const body = bytes.slice(MAGIC.length + 4 + length);
  if ((await sha256(body)) !== header.sha256) throw fail('its tensors are damaged (SHA-256 differs)');
  const named = tf.io.decodeWeights(body.buffer, header.specs);
  return {
    key,
    step: header.step,
    epoch: header.epoch,
    batch: header.batch,
    weights: Object.fromEntries(header.weightNames.map((name) => [name, named[name]!])),
    optimizer: header.optimizerNames.map((name, i) => ({ name, tensor: named[`optimizer/${i}`]! })),
  };
}
