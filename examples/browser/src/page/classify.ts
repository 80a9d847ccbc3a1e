// Section 3: a model trained in Node (`npm run airbench -- --save DIR`, exported
// beside the page by `npm run browser -- --model DIR/seed-0`) classifies the
// page's test images with its own TTA, as `evaluate` does in Node.
import { CifarLoader, type ImageSplit } from '@airbench-ts/cifar-data';
import { EVAL_BATCH } from './backend';
import { deserializeModel, disposeModel, evaluate, type ModelManifest } from '@airbench-ts/airbench-net';

/** What the exporter measured in Node on the same test images (model/node.json). */
export interface NodeFigure {
  accuracy: number;
  images: number;
  tta: 0 | 1 | 2;
  backend: string;
  /** What the model is: its variant, widths and epochs, and the run it came from (e.g. seed-0); no path of the machine that built the page. */
  model: string;
}

export interface Classification {
  accuracy: number;
  images: number;
  tta: 0 | 1 | 2;
  seconds: number;
  /** Per test image, 1 when classified correctly. */
  correct: Uint8Array;
}

/** The exported model's Node figure, or null when the page was built without --model. */
export async function findModel(base: URL): Promise<NodeFigure | null> {
  const response = await fetch(new URL('node.json', base));
  // A server with a single-page fallback answers a missing file with index.html: only JSON is a model.
  return response.ok && response.headers.get('content-type')?.includes('json') ? ((await response.json()) as NodeFigure) : null;
}

export async function classifyTestImages(base: URL, test: ImageSplit): Promise<Classification> {
  const manifest = (await (await fetch(new URL('model.json', base))).json()) as ModelManifest;
  const response = await fetch(new URL(manifest.weightsFile, base));
  if (!response.ok) throw new Error(`cannot fetch the weights ${manifest.weightsFile} (HTTP ${response.status}); export the model again with \`npm run browser -- --model DIR\`.`);
  const model = deserializeModel(manifest, new Uint8Array(await response.arrayBuffer()), 'model/model.json');
  const started = performance.now();
  try {
    const evaluation = await evaluate(model, new CifarLoader(test, { batchSize: EVAL_BATCH }), { tta: model.config.tta });
    return { accuracy: evaluation.accuracy, images: evaluation.count, tta: model.config.tta, seconds: (performance.now() - started) / 1000, correct: evaluation.correct };
  } finally {
    disposeModel(model);
  }
}
