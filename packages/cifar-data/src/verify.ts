import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatasetSpec } from './datasets';
import type { VerifiedStamps } from './verified-stamps';

/** What is wrong with one file of a dataset directory. */
export interface FileProblem {
  file: string;
  problem: string;
}

/** The MD5 of a file, read as a stream (the files are 30–150 MB). */
export async function md5File(path: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Checks every file of `spec` in `dir`: present, the exact size, and the official
 * MD5 where one is published. Returns the problems found; none means verified.
 */
export async function verifyDirectory(dir: string, spec: DatasetSpec): Promise<FileProblem[]> {
  return (await readVerified(dir, spec, undefined, () => {})).problems;
}

/**
 * Reads and checks every file of `spec` in `dir`, keeping the bytes that were
 * checked, so a loader decodes exactly what was verified without reading it again;
 * or, with `consume`, handing each verified file's bytes to it at once and keeping
 * none (a loader decodes file by file: one file's raw bytes alive at a time).
 * With `stamps`, a file verified before and unchanged since is not hashed again
 * (`hashed` counts the files that were).
 */
export async function readVerified(
  dir: string,
  spec: DatasetSpec,
  stamps?: VerifiedStamps,
  consume?: (name: string, data: Buffer, path: string) => void,
): Promise<{ problems: FileProblem[]; contents: Map<string, Buffer>; hashed: number }> {
  const problems: FileProblem[] = [];
  const contents = new Map<string, Buffer>();
  let hashed = 0;
  for (const file of spec.files) {
    const path = join(dir, file.name);
    const info = await stat(path).catch(() => null);
    if (!info?.isFile()) {
      problems.push({ file: path, problem: 'missing' });
      continue;
    }
    if (info.size !== file.bytes) {
      const kind = info.size < file.bytes ? 'truncated' : 'too large';
      problems.push({ file: path, problem: `${kind}: ${info.size} bytes, expected ${file.bytes}` });
      continue;
    }
    const known = file.md5 && stamps ? await stamps.check(path, file.md5) : undefined;
    const data = await readFile(path);
    if (file.md5 && !known?.verified) {
      const actual = createHash('md5').update(data).digest('hex');
      hashed += 1;
      if (actual !== file.md5) {
        problems.push({ file: path, problem: `corrupted: MD5 ${actual}, expected ${file.md5}` });
        continue;
      }
      if (known) stamps!.add(path, known.stamp);
    }
    if (consume) consume(file.name, data, path);
    else contents.set(file.name, data);
  }
  await stamps?.save();
  return { problems, contents, hashed };
}

export function describeProblems(problems: FileProblem[]): string {
  return problems.map((p) => `${p.file} is ${p.problem}`).join('; ');
}
