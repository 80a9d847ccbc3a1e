import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { temporaryPath } from './atomic-file';
import { DatasetFileError } from './errors';
import { startProgress, type ProgressOption } from './progress';

export interface DownloadOptions {
  md5: string;
  bytes: number;
  progress?: ProgressOption;
  signal?: AbortSignal;
  /** Give up when the server has not answered within this many ms. Default 20 s. */
  connectTimeoutMs?: number;
}

/**
 * Streams `url` to `path` through an MD5, with a progress bar. The bytes land in
 * a temporary file that is renamed into place only when the MD5 matches, so a
 * corrupt or interrupted download never looks done.
 */
export async function downloadFile(url: string, path: string, options: DownloadOptions): Promise<void> {
  const connect = AbortSignal.timeout(options.connectTimeoutMs ?? 20_000);
  const response = await fetch(url, {
    signal: options.signal ? AbortSignal.any([options.signal, connect]) : connect,
  });
  if (!response.ok || !response.body) {
    throw new Error(`HTTP ${response.status} ${response.statusText} from ${url}`);
  }
  const total = Number(response.headers.get('content-length')) || options.bytes;
  const progress = startProgress(`download ${url.split('/').pop()}`, total, 'bytes', options.progress);
  const hash = createHash('md5');
  let done = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      done += chunk.length;
      progress.update(done);
      callback(null, chunk);
    },
  });
  const temporary = temporaryPath(path);
  try {
    await pipeline(Readable.fromWeb(response.body as never), meter, createWriteStream(temporary), {
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  } finally {
    progress.stop();
  }
  const md5 = hash.digest('hex');
  if (md5 !== options.md5) {
    await rm(temporary, { force: true });
    throw new DatasetFileError(path, `download of ${url} is corrupted: MD5 ${md5}, expected ${options.md5} (${done} bytes). It was discarded; try again.`);
  }
  await rename(temporary, path);
}
