import { describe, expect, it } from 'vitest';
import { flipImagesInPlace, InvalidArgumentError } from '../src/index';

describe('flipImagesInPlace', () => {
  // Two 2×3 images with 2 channels; values encode (n, y, x, c) so every move is visible.
  const nhwc = () => Uint8Array.from({ length: 2 * 2 * 3 * 2 }, (_, i) => i);

  it('mirrors the masked NHWC images and keeps the rest', () => {
    const data = flipImagesInPlace(nhwc(), [2, 2, 3, 2], [0, 1]);
    // image 0 unchanged
    expect(Array.from(data.subarray(0, 12))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    // image 1: each row's pixels (channel pairs) reversed, channel order kept
    //   row 0: (12,13) (14,15) (16,17) -> (16,17) (14,15) (12,13)
    expect(Array.from(data.subarray(12))).toEqual([16, 17, 14, 15, 12, 13, 22, 23, 20, 21, 18, 19]);
  });

  it('mirrors NCHW images plane by plane', () => {
    // One image, 2 channels of 1×3.
    const data = Float32Array.from([1, 2, 3, 4, 5, 6]);
    flipImagesInPlace(data, [1, 2, 1, 3], [true], { layout: 'NCHW' });
    expect(Array.from(data)).toEqual([3, 2, 1, 6, 5, 4]);
  });

  it('agrees between layouts, and flipping twice restores the data', () => {
    const [n, h, w, c] = [3, 4, 5, 3];
    const source = Float32Array.from({ length: n * h * w * c }, (_, i) => Math.sin(i));
    const toNchw = (x: Float32Array) => {
      const out = new Float32Array(x.length);
      for (let i = 0; i < n; i++)
        for (let y = 0; y < h; y++)
          for (let xx = 0; xx < w; xx++)
            for (let k = 0; k < c; k++) out[((i * c + k) * h + y) * w + xx] = x[((i * h + y) * w + xx) * c + k]!;
      return out;
    };
    const mask = [1, 0, 1];
    const a = flipImagesInPlace(source.slice(), [n, h, w, c], mask);
    const b = flipImagesInPlace(toNchw(source), [n, c, h, w], mask, { layout: 'NCHW' });
    expect(Array.from(toNchw(a))).toEqual(Array.from(b));
    expect(Array.from(flipImagesInPlace(a, [n, h, w, c], mask))).toEqual(Array.from(source));
  });

  it('refuses a shape that does not match the data or the mask', () => {
    expect(() => flipImagesInPlace(nhwc(), [2, 2, 3, 3], [0, 1])).toThrow(/holds 24 values, but shape \[2,2,3,3\] \(NHWC\) needs 36/);
    expect(() => flipImagesInPlace(nhwc(), [2, 2, 3, 2], [0])).toThrow(/'mask' has 1 entries, but the batch has 2 images/);
    expect(() => flipImagesInPlace(nhwc(), [2, 2, 3, 2], [0, 1], { layout: 'HWC' as never })).toThrow(InvalidArgumentError);
  });
});
