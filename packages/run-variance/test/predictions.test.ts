import { describe, expect, it } from 'vitest';
import { packPredictions, unpackPredictions } from '../src/store/predictions';

describe('stored predictions', () => {
  it('are deflated when that is shorter, and read back exactly', () => {
    // 10,000 predictions of a 10-class run that is right 70% of the time: the shape of the variance study's rows.
    const labels = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7919) % 10);
    const predictions = labels.map((label, i) => ((i * 2654435761) >>> 0) % 10 < 7 ? label : (label + 1 + (i % 9)) % 10);
    const packed = packPredictions(predictions);
    expect(packed.length).toBeLessThan(predictions.length / 2);
    expect(unpackPredictions(packed, predictions.length)).toEqual(predictions);
  });

  it('stay raw when deflating would not shorten them (a few examples), and n raw bytes read as they are', () => {
    const few = new Uint8Array([3, 1, 4]);
    expect(packPredictions(few)).toBe(few);
    expect(unpackPredictions(few, 3)).toEqual(few);
  });

  it('that are neither n raw bytes nor deflated to n are refused (undefined), not misread', () => {
    const packed = packPredictions(new Uint8Array(1000).fill(2));
    expect(unpackPredictions(packed, 999)).toBeUndefined();
    expect(unpackPredictions(new Uint8Array([255, 0, 1]), 1000)).toBeUndefined();
  });
});
