import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import * as browser from '../src/browser';
import * as node from '../src/index';

// The `browser` export condition: what a bundler gets for a web page.
describe('the browser entry', () => {
  it('bundles for a browser with no Node built-in and none of the file and download dependencies', async () => {
    const result = await build({
      entryPoints: [fileURLToPath(new URL('../src/browser.ts', import.meta.url))],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      metafile: true,
      external: ['@tensorflow/tfjs-core'],
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((path) => path.endsWith('src/loader.ts'))).toBe(true);
    expect(inputs.filter((path) => /node:|node_modules\/(tar|pngjs|env-paths|cli-progress)\/|src\/(load|fetch|download|npm-mirror|binary-format|verify|cache-dir|progress)\.ts/.test(path))).toEqual([]);
    expect(inputs.filter((path) => path.includes('node_modules/')).every((path) => path.includes('node_modules/pure-rand/'))).toBe(true); // the loader's seeded shuffles
    const imports = Object.values(result.metafile.outputs).flatMap((output) => output.imports.map((i) => i.path));
    expect(new Set(imports)).toEqual(new Set(['@tensorflow/tfjs-core'])); // its only import: the peer
  });

  it('exports the very same loader and normalisation as the Node entry, and nothing that needs files', () => {
    for (const [name, value] of Object.entries(browser)) expect(value, name).toBe(node[name as keyof typeof node]);
    expect(Object.keys(browser).sort()).toEqual(['AirbenchError', 'CIFAR10', 'CIFAR10_MEAN', 'CIFAR10_STD', 'CIFAR100', 'CIFAR100_MEAN', 'CIFAR100_STD', 'CifarLoader', 'DatasetFileError', 'DatasetUnavailableError', 'DownloadError', 'InvalidArgumentError', 'normalizeImages'].sort());
    expect('loadCifar10' in browser).toBe(false);
  });
});
