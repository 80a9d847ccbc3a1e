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
  for (const { path, data } of files) checkWholeRecords(path, data, spec);
  const decoded = allocateRecords(files.reduce((n, f) => n + f.data.length / recordBytes, 0), spec);
  let first = 0;
  for (const { path, data } of files) {
    decodeRecordsInto(decoded, first, path, data, spec);
    first += data.length / recordBytes;
  }
  return decoded;
}

/** Room for `length` decoded records: images and one label array per label byte. */
export function allocateRecords(length: number, spec: DatasetSpec): DecodedRecords {
  return { images: new Uint8Array(length * IMAGE_BYTES), labelSets: spec.labelRanges.map(() => new Uint8Array(length)), length };
}

/**
 * Decodes one file's records into `into`, from record `first` on, checking its size and labels. A loader decodes
 * each file as soon as it is verified, so that the raw bytes of one file, not of all, are alive at a time.
 */
export function decodeRecordsInto(into: DecodedRecords, first: number, path: string, bytes: Uint8Array, spec: DatasetSpec): void {
  checkWholeRecords(path, bytes, spec);
  const recordBytes = spec.labelBytes + IMAGE_BYTES;
  const { images, labelSets } = into;
  if (first + bytes.length / recordBytes > into.length) {
    throw new DatasetFileError(path, `${spec.name}: ${path} holds ${bytes.length / recordBytes} records, more than its split has room for.`);
  }
  // IMAGE_BYTES is a multiple of 4, so every image starts on a word.
  const words = LITTLE_ENDIAN ? new Uint32Array(images.buffer, images.byteOffset, images.length / 4) : null;
  // A plain view of a Node Buffer: one array type in the hot loop.
  const data = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  for (let offset = 0, n = first; offset < data.length; offset += recordBytes, n++) {
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
    planesToPixels(data, offset + spec.labelBytes, images, n * IMAGE_BYTES, words);
  }
}

function checkWholeRecords(path: string, data: Uint8Array, spec: DatasetSpec): void {
  const recordBytes = spec.labelBytes + IMAGE_BYTES;
  if (data.length === 0 || data.length % recordBytes !== 0) {
    throw new DatasetFileError(
      path,
      `${spec.name}: ${path} has ${data.length} bytes, not a whole number of ${recordBytes}-byte records. The file is truncated or in another format; delete it and load again to re-fetch.`,
    );
  }
}

// On a little-endian machine (every platform Node ships for but s390x) four
// interleaved pixels are three 32-bit words, written whole: half the time of
// byte-by-byte stores (0.33 s instead of 0.60 s for all 60,000 images, a cost
// every process that loads CIFAR-10 pays).
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Writes one image's R, G and B planes (CHW, 1024 bytes each) from `data` at `from` as RGB-interleaved pixels at `to`. */
function planesToPixels(data: Uint8Array, from: number, images: Uint8Array, to: number, words: Uint32Array | null): void {
  const plane = IMAGE_HEIGHT * IMAGE_WIDTH;
  const [r, g, b] = [from, from + plane, from + 2 * plane];
  if (words) {
    // Pixels p..p+3 → bytes R G B R | G B R G | B R G B.
    for (let p = 0, w = to / 4; p < plane; p += 4, w += 3) {
      words[w] = data[r + p]! | (data[g + p]! << 8) | (data[b + p]! << 16) | (data[r + p + 1]! << 24);
      words[w + 1] = data[g + p + 1]! | (data[b + p + 1]! << 8) | (data[r + p + 2]! << 16) | (data[g + p + 2]! << 24);
      words[w + 2] = data[b + p + 2]! | (data[r + p + 3]! << 8) | (data[g + p + 3]! << 16) | (data[b + p + 3]! << 24);
    }
    return;
  }
  for (let p = 0; p < plane; p++) {
    images[to + 3 * p] = data[r + p]!;
    images[to + 3 * p + 1] = data[g + p]!;
    images[to + 3 * p + 2] = data[b + p]!;
  }
}
