#!/usr/bin/env node
// The repo's two import rules, checked from the code (part of `npm run lint`):
//   1. No package's code (packages/*/src) imports another workspace: each
//      declares the small structural types it needs; only examples/ wires
//      packages together. (A package's tests may use others as dev dependencies,
//      e.g. cifar-data for real batches.)
//   2. No example imports another example. An example is a workspace under
//      examples/ with a command (src/cli.ts); what examples share lives in named
//      workspaces without one (backend, plot, harness, models), and those never
//      import an example either.
// Imports are read with TypeScript's own pre-processor (import/export-from,
// dynamic import with a literal, require), from src/ and test/ of every
// workspace and from bench/ (whose dev tools may reach into a package's test
// helpers by path).
// Exit 1 with one line per crossing; prints the example graph with --graph.
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const workspaces = ['packages', 'examples'].flatMap((group) =>
  readdirSync(join(root, group))
    .filter((name) => existsSync(join(root, group, name, 'package.json')))
    .map((name) => {
      const dir = join(root, group, name);
      const { name: packageName } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      const kind = group === 'packages' ? 'package' : existsSync(join(dir, 'src', 'cli.ts')) ? 'example' : 'shared';
      return { dir, packageName, kind };
    }),
);
workspaces.push({ dir: join(root, 'bench'), packageName: '@airbench-ts-bench/bench', kind: 'bench' });
const byName = new Map(workspaces.map((w) => [w.packageName, w]));

function* sourceFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (/\.(m|c)?[jt]sx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) yield path;
  }
}

const problems = [];
const edges = new Set();
for (const from of workspaces) {
  for (const sub of from.kind === 'bench' ? ['.'] : from.kind === 'package' ? ['src'] : ['src', 'test']) {
    const dir = join(from.dir, sub);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) continue;
    for (const file of sourceFiles(dir)) {
      const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
      for (const { fileName: specifier } of importedFiles) {
        const where = `${relative(root, file)}: imports '${specifier}'`;
        let target;
        if (specifier.startsWith('.')) {
          const path = resolve(dirname(file), specifier);
          if (path === from.dir || path.startsWith(from.dir + sep) || from.kind === 'bench') continue;
          target = workspaces.find((w) => path === w.dir || path.startsWith(w.dir + sep));
          if (target) problems.push(`${where}, a file of ${target.packageName} by a relative path: import the workspace by its name`);
          continue;
        }
        const name = specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
        target = byName.get(name);
        if (!target || target === from) continue;
        if (target.kind !== 'package') edges.add(`${from.packageName} -> ${target.packageName}`);
        if (from.kind === 'package') problems.push(`${where}: a package imports no other workspace (declare the structural type it needs instead)`);
        else if (target.kind === 'example') problems.push(`${where}: ${target.packageName} is an example (it has a src/cli.ts); move what both need into a shared workspace (examples/harness, examples/models, …)`);
      }
    }
  }
}

if (process.argv.includes('--graph')) for (const edge of [...edges].sort()) process.stdout.write(`${edge}\n`);
if (problems.length > 0) {
  process.stderr.write(`check-boundaries: ${problems.length} import(s) cross a boundary:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
  process.exit(1);
}
process.stderr.write(`check-boundaries: ${workspaces.length} workspaces, no package imports another and no example imports an example\n`);
