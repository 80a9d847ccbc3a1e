import * as tf from '@tensorflow/tfjs-core';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { EndpointCheckpoint } from '@airbench-ts-example/models';
import { join } from 'node:path';

// Trained endpoints under `<out>/endpoints/`, keyed by everything that shapes
// them, so the same command reuses them. A manifest (weight specs and the
// weights' SHA-256) and the weights, each written to a temporary file and renamed:
// an interrupted write leaves no half file, and a damaged one is trained again.

export function endpointKey(what: unknown): string {
  return createHash('sha256').update(JSON.stringify(what)).digest('hex').slice(0, 16);
}

interface Manifest {
  key: unknown;
  sha256: string;
  specs: tf.io.WeightsManifestEntry[];
}

export function loadEndpoint(dir: string, name: string): Record<string, tf.Tensor> | null {
  const [manifestPath, weightsPath] = [join(dir, `${name}.json`), join(dir, `${name}.bin`)];
  if (!existsSync(manifestPath) || !existsSync(weightsPath)) return null;
  try {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    const bytes = readFileSync(weightsPath);
    if (createHash('sha256').update(bytes).digest('hex') !== manifest.sha256) return null;
    return tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, manifest.specs);
  } catch {
    return null;
  }
}

export async function saveEndpoint(dir: string, name: string, key: unknown, weights: Record<string, tf.Tensor>): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const { data, specs } = await tf.io.encodeWeights(weights);
  const bytes = new Uint8Array(data);
  const write = (path: string, content: Uint8Array | string) => {
    writeFileSync(`${path}.tmp`, content);
    renameSync(`${path}.tmp`, path);
  };
  write(join(dir, `${name}.bin`), bytes);
  write(join(dir, `${name}.json`), JSON.stringify({ key, sha256: createHash('sha256').update(bytes).digest('hex'), specs } satisfies Manifest, null, 1));
}

/** An endpoint's training state as `<dir>/<name>.ckpt`, written atomically every 50 steps; removed once the endpoint is saved. */
export function endpointCheckpoint(dir: string, name: string, key: string): EndpointCheckpoint & { remove(): void } {
  const path = join(dir, `${name}.ckpt`);
  return {
    key,
    everySteps: 50,
    load: async () => (existsSync(path) ? new Uint8Array(readFileSync(path)) : null),
    save: async (bytes) => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${path}.tmp`, bytes);
      renameSync(`${path}.tmp`, path);
    },
    onWarning: (message) => process.stderr.write(`repair: ${message}\n`),
    onResume: (step, total) => process.stderr.write(`repair: ${name}: resuming after step ${step} of ${total} from ${path}\n`),
    remove: () => rmSync(path, { force: true }),
  };
}
