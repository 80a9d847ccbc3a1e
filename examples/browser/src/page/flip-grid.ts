// Section 1: the training thumbnails epoch by epoch under each flip. The
// decisions come from @airbench-ts/derand-flip exactly as the loader asks them
// (image index, epoch), so what is drawn is what training sees.
import type { ImageSplit } from '@airbench-ts/cifar-data';
import { createFlipPolicy } from '@airbench-ts/derand-flip';
import { thumbnail } from './thumbnail';

export const FLIP_MODES = ['none', 'random', 'alternating'] as const;
export type FlipModeName = (typeof FLIP_MODES)[number];

/** Flip decisions [mode][image][epoch], for the page's state and its tests. */
export type FlipTable = Record<FlipModeName, boolean[][]>;

export function renderFlipGrid(root: HTMLElement, train: ImageSplit, options: { images: number; epochs: number; seed: number }): FlipTable {
  const table = {} as FlipTable;
  root.replaceChildren();
  for (const mode of FLIP_MODES) {
    const policy = mode === 'none' ? () => false : createFlipPolicy({ seed: options.seed, mode });
    const rows: boolean[][] = [];
    const block = document.createElement('div');
    block.className = 'flip-mode';
    block.dataset.mode = mode;
    const grid = document.createElement('table');
    const head = grid.createTHead().insertRow();
    head.insertCell().textContent = '';
    for (let epoch = 0; epoch < options.epochs; epoch++) head.insertCell().textContent = `e${epoch}`;
    const body = grid.createTBody();
    for (let index = 0; index < Math.min(options.images, train.length); index++) {
      const row = body.insertRow();
      row.insertCell().textContent = `#${index}`;
      const decisions: boolean[] = [];
      for (let epoch = 0; epoch < options.epochs; epoch++) {
        const flipped = policy(index, epoch);
        decisions.push(flipped);
        const cell = row.insertCell();
        const canvas = thumbnail(train, index, flipped, flipped ? 'thumb flipped' : 'thumb');
        canvas.dataset.flipped = String(flipped);
        canvas.title = `image ${index}, epoch ${epoch}: ${flipped ? 'mirrored' : 'as stored'}`;
        cell.append(canvas);
      }
      rows.push(decisions);
    }
    const title = document.createElement('h3');
    title.textContent = mode === 'none' ? 'no flip' : `${mode} flip`;
    block.append(title, grid);
    root.append(block);
    table[mode] = rows;
  }
  return table;
}
