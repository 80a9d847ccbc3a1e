// Runs README snippets, one after another, in this one process (one start of
// tsx and of TensorFlow for all of them): node --import tsx
// --conditions=@airbench-ts/source run-snippets.ts <results.json> <snippet.ts>...
// Each runs in a fresh empty working directory, so the files a snippet writes
// (a store, a checkpoint, a plot) land there. Writes one result per snippet.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [out, ...files] = process.argv.slice(2);
const results: { file: string; ok: boolean; seconds: number; error?: string }[] = [];
for (const file of files) {
  process.chdir(mkdtempSync(join(tmpdir(), 'snippet-')));
  const started = performance.now();
  try {
    await import(pathToFileURL(file).href);
    results.push({ file, ok: true, seconds: (performance.now() - started) / 1000 });
  } catch (error) {
    results.push({ file, ok: false, seconds: (performance.now() - started) / 1000, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
}
writeFileSync(out!, JSON.stringify(results));
