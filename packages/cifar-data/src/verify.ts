import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatasetSpec } from './datasets';

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
  const problems: FileProblem[] = [];
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
    if (file.md5) {
      const actual = await md5File(path);
      if (actual !== file.md5) problems.push({ file: path, problem: `corrupted: MD5 ${actual}, expected ${file.md5}` });
    }
  }
  return problems;
}

export function describeProblems(problems: FileProblem[]): string {
  return problems.map((p) => `${p.file} is ${p.problem}`).join('; ');
}
