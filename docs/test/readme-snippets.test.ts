import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// Every ```ts snippet of every README runs as written, as a user would paste it.
// ```ts continued joins the snippet before it (one program, read in two parts);
// ```ts no-run (reason) is shown but not run: code for a browser page, or a
// sketch with a gap for the reader's own code, and says so in its fence.
const root = fileURLToPath(new URL('../..', import.meta.url));
const readmes = [
  join(root, 'README.md'),
  ...['packages', 'examples'].flatMap((group) =>
    readdirSync(join(root, group))
      .map((name) => join(root, group, name, 'README.md'))
      .filter((file) => existsSync(file)),
  ),
];

interface Snippet {
  name: string;
  code: string;
}

function snippetsOf(readme: string): { run: Snippet[]; skipped: string[] } {
  const text = readFileSync(readme, 'utf8');
  const base = relative(root, readme).replace(/\/README\.md$|README\.md$/, '').replace(/[/]/g, '-') || 'root';
  const run: Snippet[] = [];
  const skipped: string[] = [];
  for (const [, info, code] of text.matchAll(/^```ts([^\n]*)\n([\s\S]*?)^```$/gm)) {
    const fence = info!.trim();
    if (fence.startsWith('no-run')) skipped.push(`${base}: ${fence}`);
    else if (fence === 'continued') {
      expect(run.length, `${relative(root, readme)}: a 'continued' snippet follows no runnable one`).toBeGreaterThan(0);
      run.at(-1)!.code += `\n${code}`;
    } else run.push({ name: `${base}-${run.length + 1}`, code: code! });
  }
  return { run, skipped };
}

// Inside the repository, so that the snippets' imports resolve to the workspace packages.
const dir = mkdtempSync(join(root, 'docs', '.snippets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README snippets', () => {
  const all = readmes.map(snippetsOf);
  const snippets = all.flatMap((r) => r.run);

  it('are found in the package and example READMEs, and few are not run', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(9);
    const skipped = all.flatMap((r) => r.skipped);
    expect(skipped.length).toBeLessThanOrEqual(3);
    // Each skipped one says why in its fence.
    for (const fence of skipped) expect(fence).toMatch(/no-run \(.+\)/);
  });

  it('each runs as written and completes', () => {
    mkdirSync(dir, { recursive: true });
    const files = snippets.map((s) => {
      const file = join(dir, `${s.name}.ts`);
      writeFileSync(file, s.code);
      return file;
    });
    const out = join(mkdtempSync(join(tmpdir(), 'snippet-results-')), 'results.json');
    const runner = fileURLToPath(new URL('./run-snippets.ts', import.meta.url));
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=@airbench-ts/source', runner, out, ...files], {
      cwd: root,
      encoding: 'utf8',
      // As the READMEs advise: TensorFlow's oneDNN kernels on (off by default on CPUs without AVX-512 VNNI/BF16 or AMX),
      // unless the caller chose (the snippets 9.1 → 6.5 s and 1.56 → 1.42 GB resident on a 2-core AVX2 EPYC).
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2', TF_ENABLE_ONEDNN_OPTS: process.env.TF_ENABLE_ONEDNN_OPTS ?? '1' },
    });
    expect(child.status, child.stderr).toBe(0);
    const results = JSON.parse(readFileSync(out, 'utf8')) as { file: string; ok: boolean; seconds: number; error?: string }[];
    expect(results.map((r) => r.file)).toEqual(files);
    for (const result of results) expect(result.error ?? null, relative(dir, result.file)).toBeNull();
    process.stderr.write(`snippet seconds: ${results.map((r) => `${relative(dir, r.file)} ${r.seconds.toFixed(1)}`).join(', ')}\n`);
  });
});
