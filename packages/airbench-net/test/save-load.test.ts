import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeModel, infer, makeConfig, makeNet, type AirbenchModel } from '../src/index';
import { loadModel, saveModel } from '../src/node';

const config = makeConfig('airbench94', { widths: [4, 8, 8] });
const work = mkdtempSync(join(tmpdir(), 'airbench-save-'));
let a: AirbenchModel;
let b: AirbenchModel;
const x = () => tf.randomNormal<tf.Rank.R4>([3, 32, 32, 3], 0, 1, 'float32', 1);
const logitsOf = (model: AirbenchModel) => tf.tidy(() => Array.from(infer(model, x(), { tta: 0 }).dataSync()));

beforeAll(async () => {
  await tf.setBackend('cpu');
  [a, b] = [makeNet(config, 1), makeNet(config, 2)];
});

afterAll(() => {
  [a, b].forEach(disposeModel);
  rmSync(work, { recursive: true, force: true });
});

describe('saveModel / loadModel', () => {
  it('round-trips with identical logits, and a second save leaves one weights file', async () => {
    const dir = join(work, 'round-trip');
    await saveModel(a, dir);
    await saveModel(b, dir);
    expect(readdirSync(dir).filter((n) => n.endsWith('.bin'))).toHaveLength(1);
    const loaded = await loadModel(dir);
    expect(loaded.config).toEqual(b.config);
    expect(logitsOf(loaded)).toEqual(logitsOf(b));
    disposeModel(loaded);
    await expect(loadModel(join(dir, 'nope'))).rejects.toThrow(/cannot read .*model\.json/);
  });

  it('keeps the old model whole when a save over it is killed at the last moment', async () => {
    const dir = join(work, 'killed');
    await saveModel(a, dir);
    // A real process saves b over a and is SIGKILLed just as it would rename model.json into place.
    const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/save-then-die.ts', import.meta.url)), dir], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '--conditions=@airbench-ts/source' },
    });
    expect(child.signal).toBe('SIGKILL');
    const loaded = await loadModel(dir);
    expect(logitsOf(loaded)).toEqual(logitsOf(a));
    disposeModel(loaded);
  });

  it('leaks nothing and names the weight when the weights do not fit the config', async () => {
    const dir = join(work, 'mismatch');
    await saveModel(a, dir);
    const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    manifest.config.widths = [4, 8, 16];
    writeFileSync(join(dir, 'model.json'), JSON.stringify(manifest));
    const before = tf.memory().numTensors;
    await expect(loadModel(dir)).rejects.toThrow(/needs weight 'block3\.conv1\.weight' of shape \[3, 3, 8, 16\] but holds \[3, 3, 8, 8\]/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(['../outside.bin', '/etc/passwd', 'sub/weights.bin', '..'])('refuses weightsFile %j: only a file beside model.json', async (name) => {
    const dir = join(work, `escape-${readdirSync(work).length}`);
    await saveModel(a, dir);
    const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ ...manifest, weightsFile: name }));
    await expect(loadModel(dir)).rejects.toThrow(/weightsFile .* must be a file name in .*, not a path/);
  });
});

describe('the main entry', () => {
  it('bundles for a browser: no node: import anywhere behind src/index.ts', async () => {
    const result = await build({
      entryPoints: [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      external: ['@tensorflow/tfjs-core'],
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    expect(result.outputFiles[0]!.text).not.toMatch(/from ["']node:/);
    // And the node entry is what does not bundle for a browser.
    await expect(
      build({ entryPoints: [fileURLToPath(new URL('../src/node.ts', import.meta.url))], bundle: true, write: false, platform: 'browser', external: ['@tensorflow/tfjs-core'], logLevel: 'silent' }),
    ).rejects.toThrow(/node:/);
  });
});
