import { deflateRawSync, inflateRawSync } from 'node:zlib';

// A run's predictions (one class a test example, one byte each) as the store
// keeps them: deflated when that is shorter, which it is for any real run (the
// variance study's 10,000-byte rows took 4.6 KB), else as they are. The length
// tells which: exactly n bytes is raw (every row a store before schema version 3
// holds), fewer is deflated. No flag column, so a row reads the same on both engines.

/** The bytes to store for `predictions`. */
export function packPredictions(predictions: Uint8Array): Uint8Array {
  const deflated = deflateRawSync(predictions, { level: 9 });
  return deflated.length < predictions.length ? deflated : predictions;
}

/** The predictions of `n` test examples from their stored bytes (raw ones as they are), or undefined when they are not that (a damaged row). */
export function unpackPredictions(stored: Uint8Array, n: number): Uint8Array | undefined {
  if (stored.length === n) return stored;
  try {
    const unpacked = inflateRawSync(stored);
    return unpacked.length === n ? new Uint8Array(unpacked.buffer, unpacked.byteOffset, unpacked.length) : undefined;
  } catch {
    return undefined;
  }
}
