// The REPAIR paper's figures for the architectures this example trains (docs/papers.md §3.9, CIFAR-10, α = 0.5):
// endpoints' accuracies, the permuted and the repaired midpoints' accuracies (%), and the relative reduction of the
// accuracy barrier, 1 − B(REPAIR)/B(permuted). Keyed by model, norm and width, as the summary groups its runs.

export interface PaperFigure {
  endpoints: [number, number];
  permuted: number;
  repaired: number;
  reduction: number;
  note?: string;
}

export const PAPER_FIGURES: Record<string, PaperFigure> = {
  'resnet20/batch/1': { endpoints: [93.47, 93.69], permuted: 12.65, repaired: 67.63, reduction: 0.68 },
  'resnet20/batch/2': { endpoints: [95.08, 95.36], permuted: 16.14, repaired: 85.45, reduction: 0.88 },
  'resnet20/batch/4': { endpoints: [96.12, 96.13], permuted: 34.8, repaired: 92.08, reduction: 0.93 },
  'resnet20/batch/8': { endpoints: [96.66, 96.5], permuted: 32.25, repaired: 94.35, reduction: 0.97 },
  'resnet20/layer/1': { endpoints: [92.01, 92.71], permuted: 50.72, repaired: 68.75, reduction: 0.43, note: '250 epochs; REPAIR++ 55%' },
  'resnet20/layer/2': { endpoints: [94.56, 94.38], permuted: 79.45, repaired: 84.95, reduction: 0.37, note: '250 epochs; REPAIR++ 49%' },
  'resnet20/layer/4': { endpoints: [95.59, 95.35], permuted: 88.5, repaired: 91.34, reduction: 0.41, note: '250 epochs; REPAIR++ 50%' },
  'vgg11/none/1': { endpoints: [92.17, 92.18], permuted: 61.33, repaired: 88.18, reduction: 0.87 },
};

/** The paper's figure for a model, norm and width, if it has one. */
export function paperFigure(model: string, norm: string, width: number): PaperFigure | undefined {
  return PAPER_FIGURES[`${model}/${norm}/${width}`];
}
