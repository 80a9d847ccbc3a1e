import * as tf from '@tensorflow/tfjs-core';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AirbenchConfig } from './config';
import { AirbenchError } from './errors';
import { makeNet, type AirbenchModel } from './network';

const FORMAT = 'airbench-ts/model@1';

/**
 * Writes `model.json` (config + tfjs weight specs) and `weights.bin` (tfjs's
 * weight encoding) to `dir`, each through a temporary file, so an interrupted
 * save never leaves a model that looks complete.
 */
export async function saveModel(model: AirbenchModel, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const named = { ...model.params, ...model.buffers };
  const { data, specs } = await tf.io.encodeWeights(named);
  const manifest = { format: FORMAT, config: model.config, weightsFile: 'weights.bin', weightSpecs: specs };
  await writeAtomic(join(dir, 'weights.bin'), new Uint8Array(data));
  await writeAtomic(join(dir, 'model.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Reads a model written by `saveModel`. */
export async function loadModel(dir: string): Promise<AirbenchModel> {
  const path = join(dir, 'model.json');
  const manifest = JSON.parse(await readFile(path, 'utf8').catch((cause: unknown) => {
    throw new AirbenchError(`loadModel: cannot read ${path} (${String(cause)}); pass a directory written by saveModel.`, { cause });
  })) as { format: string; config: AirbenchConfig; weightsFile: string; weightSpecs: tf.io.WeightsManifestEntry[] };
  if (manifest.format !== FORMAT) throw new AirbenchError(`loadModel: ${path} is '${manifest.format}', not ${FORMAT}.`);
  const bytes = await readFile(join(dir, manifest.weightsFile));
  const tensors = tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), manifest.weightSpecs);
  const model = makeNet(manifest.config, 0);
  for (const [name, variable] of Object.entries({ ...model.params, ...model.buffers })) {
    const value = tensors[name];
    if (!value || value.shape.join() !== variable.shape.join()) {
      throw new AirbenchError(`loadModel: ${path} has no weight '${name}' of shape [${variable.shape.join(', ')}]; the file does not match its config.`);
    }
    variable.assign(value);
  }
  tf.dispose(Object.values(tensors));
  return model;
}

async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${path}.${process.pid}.part`;
  await writeFile(temporary, data);
  await rename(temporary, path);
}
