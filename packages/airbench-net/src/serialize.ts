import * as tf from '@tensorflow/tfjs-core';
import { validateConfig, type AirbenchConfig } from './config';
import { AirbenchError } from './errors';
import { disposeModel, makeNet, type AirbenchModel } from './network';

// ---------------------------------------------------------------------------
// A model as bytes: a JSON manifest (config + tfjs weight specs) and tfjs's
// weight encoding. No file system here, so this entry bundles for a browser;
// `@airbench-ts/airbench-net/node` writes and reads the pair on disk.
// ---------------------------------------------------------------------------

export const MODEL_FORMAT = 'airbench-ts/model@1';

export interface ModelManifest {
  format: typeof MODEL_FORMAT;
  config: AirbenchConfig;
  /** The weights' file name beside the manifest (written by saveModel; a plain name, never a path). */
  weightsFile: string;
  weightSpecs: tf.io.WeightsManifestEntry[];
}

/** The model's manifest and weight bytes. `weightsFile` is the name the bytes are stored under. */
export async function serializeModel(model: AirbenchModel, weightsFile = 'weights.bin'): Promise<{ manifest: ModelManifest; weights: Uint8Array }> {
  const { data, specs } = await tf.io.encodeWeights({ ...model.params, ...model.buffers });
  return { manifest: { format: MODEL_FORMAT, config: model.config, weightsFile, weightSpecs: specs }, weights: new Uint8Array(data) };
}

/**
 * A model from a manifest and its weight bytes. Every weight must be there with
 * its shape; on any mismatch nothing stays allocated and the error names it.
 * `source` names where the manifest came from, for the messages.
 */
export function deserializeModel(manifest: ModelManifest, weights: Uint8Array, source = 'the manifest'): AirbenchModel {
  if (manifest?.format !== MODEL_FORMAT) {
    throw new AirbenchError(`loadModel: ${source} is '${String(manifest?.format)}', not ${MODEL_FORMAT}.`);
  }
  // Manifests written before the `norm` option are BatchNorm networks.
  const config = validateConfig({ ...manifest.config, norm: manifest.config.norm ?? 'batch', layerNormEps: manifest.config.layerNormEps ?? 1e-5, precision: manifest.config.precision ?? 'fp32' });
  const buffer = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  let tensors: tf.NamedTensorMap;
  try {
    tensors = tf.io.decodeWeights(buffer, manifest.weightSpecs);
  } catch (cause) {
    throw new AirbenchError(`loadModel: the weights of ${source} do not decode with its weight specs (${String(cause)}); the pair is damaged.`, { cause });
  }
  let model: AirbenchModel | undefined;
  try {
    model = makeNet(config, 0);
    for (const [name, variable] of Object.entries({ ...model.params, ...model.buffers })) {
      const value = tensors[name];
      if (!value || value.shape.join() !== variable.shape.join()) {
        const found = value ? `[${value.shape.join(', ')}]` : 'nothing';
        throw new AirbenchError(`loadModel: ${source} needs weight '${name}' of shape [${variable.shape.join(', ')}] but holds ${found}; the weights do not match its config.`);
      }
      variable.assign(value);
    }
    return model;
  } catch (error) {
    if (model) disposeModel(model);
    throw error;
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
