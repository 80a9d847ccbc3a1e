/**
 * @airbench-ts/airbench-net/node: saving and loading models on a file system.
 * The main entry has no `node:` import (it bundles for a browser); this one does.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { AirbenchError } from './errors';
import type { AirbenchModel } from './network';
import { deserializeModel, serializeModel, type ModelManifest } from './serialize';

const WEIGHTS_FILE = /^weights(-[0-9a-f]{16})?\.bin$/;

/**
 * Writes `model.json` and its weights to `dir`. The weights go to a new file named
 * by their hash, then `model.json` is renamed into place: that rename is the one
 * moment the model changes, so an interrupted save (even over an existing model)
 * leaves the old pair or the new one, never a mix. Weights no manifest names are
 * removed afterwards.
 */
export async function saveModel(model: AirbenchModel, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const { manifest, weights } = await serializeModel(model);
  const weightsFile = `weights-${createHash('sha256').update(weights).digest('hex').slice(0, 16)}.bin`;
  await writeAtomic(join(dir, weightsFile), weights);
  await writeAtomic(join(dir, 'model.json'), `${JSON.stringify({ ...manifest, weightsFile }, null, 2)}\n`);
  for (const name of await readdir(dir)) {
    if (WEIGHTS_FILE.test(name) && name !== weightsFile) await rm(join(dir, name), { force: true });
  }
}

/** Reads a model written by `saveModel`. The weights must sit beside `model.json`. */
export async function loadModel(dir: string): Promise<AirbenchModel> {
  const path = join(dir, 'model.json');
  const text = await readFile(path, 'utf8').catch((cause: unknown) => {
    throw new AirbenchError(`loadModel: cannot read ${path} (${String(cause)}); pass a directory written by saveModel.`, { cause });
  });
  let manifest: ModelManifest;
  try {
    manifest = JSON.parse(text) as ModelManifest;
  } catch (cause) {
    throw new AirbenchError(`loadModel: ${path} is not JSON (${String(cause)}); the save was damaged, save the model again.`, { cause });
  }
  // Only a plain file name beside the manifest: never a path out of the model's directory.
  const name = manifest?.weightsFile;
  if (typeof name !== 'string' || name !== basename(name) || name === '..' || name === '.' || name.includes('\\')) {
    throw new AirbenchError(`loadModel: ${path} names weightsFile ${JSON.stringify(name)}; it must be a file name in ${dir}, not a path.`);
  }
  const weights = await readFile(join(dir, name)).catch((cause: unknown) => {
    throw new AirbenchError(`loadModel: cannot read ${join(dir, name)}, the weights ${path} names (${String(cause)}).`, { cause });
  });
  return deserializeModel(manifest, weights, path);
}

async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.part`;
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
