import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { temporaryPath } from './atomic-file';
import { DatasetFileError, DownloadError } from './errors';
import { startProgress, type ProgressOption } from './progress';

/** The published digest a download must have: an MD5 in hex, or an npm `sha512-…` integrity. */
export interface Digest {
  algorithm: 'md5' | 'sha512';
  /** hex for md5, base64 for sha512 (the form each is published in). */
  value: string;
}

export interface DownloadOptions {
  digest: Digest;
  /** Expected size, for the progress bar when the server sends no Content-Length. */
  bytes: number;
  progress?: ProgressOption;
  signal?: AbortSignal;
  /** Give up when the server has not sent its response headers within this many ms. Default 30 s. */
  connectTimeoutMs?: number;
  /**
   * Give up when no byte of the body has arrived for this many ms. Default 60 s.
   * There is no limit on the whole transfer: a slow but steady download finishes.
   */
  idleTimeoutMs?: number;
}

/**
 * Makes sure `path` holds the file at `url` with the given digest: a copy already
 * there that verifies is kept (so a cache can be rebuilt without the network),
 * anything else is downloaded again.
 */
export async function ensureDownloaded(url: string, path: string, options: DownloadOptions): Promise<'kept' | 'downloaded'> {
  if ((await stat(path).catch(() => null))?.isFile()) {
    const hash = createHash(options.digest.algorithm);
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    if (digestOf(hash, options.digest) === options.digest.value) return 'kept';
    await rm(path, { force: true });
  }
  await downloadFile(url, path, options);
  return 'downloaded';
}

/**
 * Streams `url` to `path` through a hash, with a progress bar. The bytes land in a
 * temporary file that is renamed into place only when the digest matches, so a
 * truncated, stalled or corrupt download never looks done.
 */
export async function downloadFile(url: string, path: string, options: DownloadOptions): Promise<void> {
  const connectMs = options.connectTimeoutMs ?? 30_000;
  const idleMs = options.idleTimeoutMs ?? 60_000;
  // One controller for both timers: aborting it also aborts the body stream.
  const timeouts = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, timeouts.signal]) : timeouts.signal;
  let timer = setTimeout(() => timeouts.abort(new DownloadError(url, `no response from ${url} within ${connectMs / 1000} s`)), connectMs);
  const stall = (done: number) => {
    clearTimeout(timer);
    timer = setTimeout(() => timeouts.abort(new DownloadError(url, `download of ${url} stalled: no data for ${idleMs / 1000} s after ${done} bytes`)), idleMs);
  };

  const temporary = temporaryPath(path);
  const hash = createHash(options.digest.algorithm);
  let done = 0;
  let progress: ReturnType<typeof startProgress> | undefined;
  try {
    const response = await fetch(url, { signal });
    if (!response.ok || !response.body) throw new DownloadError(url, `HTTP ${response.status} ${response.statusText} from ${url}`);
    const announced = Number(response.headers.get('content-length')) || 0;
    progress = startProgress(`download ${url.split('/').pop()}`, announced || options.bytes, 'bytes', options.progress);
    stall(0);
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        done += chunk.length;
        stall(done);
        progress!.update(done);
        callback(null, chunk);
      },
    });
    await pipeline(Readable.fromWeb(response.body as never), meter, createWriteStream(temporary), { signal });
    if (announced && done !== announced) throw new DownloadError(url, `download of ${url} ended after ${done} of ${announced} bytes`);
  } catch (error) {
    await rm(temporary, { force: true });
    if (options.signal?.aborted) throw options.signal.reason ?? error;
    if (timeouts.signal.aborted) throw timeouts.signal.reason;
    if (error instanceof DownloadError) throw error;
    // undici reports a connection closed early as "terminated": say what it means.
    throw new DownloadError(url, `download of ${url} failed after ${done} bytes: ${describe(error)}`, { cause: error });
  } finally {
    clearTimeout(timer);
    progress?.stop();
  }
  const actual = digestOf(hash, options.digest);
  if (actual !== options.digest.value) {
    await rm(temporary, { force: true });
    throw new DatasetFileError(
      path,
      `download of ${url} is corrupted: ${options.digest.algorithm} ${actual}, expected ${options.digest.value} (${done} bytes). It was discarded; try again.`,
    );
  }
  await rename(temporary, path);
}

function digestOf(hash: ReturnType<typeof createHash>, digest: Digest): string {
  return hash.digest(digest.algorithm === 'md5' ? 'hex' : 'base64');
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.message ? `${error.message} (${cause.code ?? cause.message})` : error.message;
}
