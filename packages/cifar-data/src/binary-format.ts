import { readFile } from 'node:fs/promises';
import { CIFAR10, CIFAR100, IMAGE_BYTES, IMAGE_HEIGHT, IMAGE_WIDTH, type DatasetSpec } from './datasets';
import { DatasetFileError, InvalidArgumentError } from './errors';

/** One split of a dataset, decoded: NHWC uint8 images and their labels. */
export interface ImageSplit {
  /** N × 32 × 32 × 3 bytes, NHWC (row-major, RGB interleaved). */
  images: Uint8Array;
  /** N labels, one byte each. */
  labels: Uint8Array;
  /** N, the number of images. */
  length: number;
}

/** Decoded records: images plus one label array per label byte (CIFAR-100: coarse, then fine). */
export interface DecodedRecords {
  images: Uint8Array;
  labelSets: Uint8Array[];
  length: number;
}

export type BinaryFormat = 'cifar10' | 'cifar100';

const FORMATS: Record<BinaryFormat, DatasetSpec> = { cifar10: CIFAR10, cifar100: CIFAR100 };

/**
 * Reads files in the CIFAR binary record layout, of any number of records: each
 * record is the label byte(s), then 1024 red, 1024 green and 1024 blue values
 * (CHW). Images are transposed to NHWC, the layout tfjs convolutions take.
 * Every file must hold whole records and every label must be in range.
 *
 * ```ts
 * const { images, labelSets } = await readCifarBinary(['my_batch.bin'], 'cifar10');
 * ```
 */
export async function readCifarBinary(paths: readonly string[], format: BinaryFormat): Promise<DecodedRecords> {
  const spec = FORMATS[format];
  if (!spec) {
    throw new InvalidArgumentError('format', `readCifarBinary: 'format' must be 'cifar10' or 'cifar100', but got '${String(format)}'.`);
  }
  const buffers = await Promise.all(
    paths.map((path) =>
      readFile(path).catch((cause: unknown) => {
        throw new DatasetFileError(path, `${spec.name}: cannot read ${path} (${String(cause)}). Check the path.`, { cause });
      }),
    ),
  );
  return decodeRecords(
    paths.map((path, i) => ({ path, data: buffers[i] as Buffer })),
    spec,
  );
}

/** Decodes already-read files; sizes and labels are checked, and the message names the file. */
export function decodeRecords(files: readonly { path: string; data: Uint8Array }[], spec: DatasetSpec): DecodedRecords {
  const recordBytes = spec.labelBytes + IMAGE_BYTES;
  for (const { path, data } of files) {
    if (data.length === 0 || data.length % recordBytes !== 0) {
      throw new DatasetFileError(
        path,
        `${spec.name}: ${path} has ${data.length} bytes, not a whole number of ${recordBytes}-byte records. The file is truncated or in another format; delete it and load again to re-fetch.`,
      );
    }
  }
  const length = files.reduce((n, f) => n + f.data.length / recordBytes, 0);
  const images = new Uint8Array(length * IMAGE_BYTES);
  const labelSets = spec.labelRanges.map(() => new Uint8Array(length));
  const plane = IMAGE_HEIGHT * IMAGE_WIDTH;

  let n = 0;
  for (const { path, data } of files) {
    for (let offset = 0; offset < data.length; offset += recordBytes, n++) {
      for (let k = 0; k < spec.labelBytes; k++) {
        const label = data[offset + k] as number;
        const range = spec.labelRanges[k] as number;
        if (label >= range) {
          throw new DatasetFileError(
            path,
            `${spec.name}: record ${offset / recordBytes} of ${path} has label ${label}, outside 0..${range - 1}. The file is corrupted or of another dataset; delete it and load again to re-fetch.`,
          );
        }
        (labelSets[k] as Uint8Array)[n] = label;
      }
      const pixels = offset + spec.labelBytes;
      const out = n * IMAGE_BYTES;
      for (let p = 0; p < plane; p++) {
        images[out + 3 * p] = data[pixels + p] as number;
        images[out + 3 * p + 1] = data[pixels + plane + p] as number;
        images[out + 3 * p + 2] = data[pixels + 2 * plane + p] as number;
      }
    }
  }
  return { images, labelSets, length };
}
