import type { ImageSplit } from '@airbench-ts/cifar-data';

/** A 32×32 canvas of image `index` (NHWC bytes), mirrored left-right when `mirrored`. */
export function thumbnail(split: ImageSplit, index: number, mirrored = false, className = 'thumb'): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 32;
  canvas.className = className;
  const pixels = new ImageData(32, 32);
  const image = split.images.subarray(index * 3072, (index + 1) * 3072);
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 32; x++) {
      const from = (y * 32 + (mirrored ? 31 - x : x)) * 3;
      const to = (y * 32 + x) * 4;
      pixels.data.set([image[from]!, image[from + 1]!, image[from + 2]!, 255], to);
    }
  }
  canvas.getContext('2d')!.putImageData(pixels, 0, 0);
  return canvas;
}
