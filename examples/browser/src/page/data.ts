// The images the page uses: a subset of CIFAR-10 that `npm run browser`
// exported beside the page (data/manifest.json and raw NHWC bytes). The page
// fetches nothing from anywhere else.
import type { ImageSplit } from '@airbench-ts/cifar-data';

export const DATA_FORMAT = 'airbench-ts/cifar10-subset@1';

export interface DataManifest {
  format: typeof DATA_FORMAT;
  /** Class names, by label. */
  classes: string[];
  train: { count: number; images: string; labels: string };
  test: { count: number; images: string; labels: string };
  /** Where the exporter read CIFAR-10 from. */
  source: string;
}

export interface PageData {
  manifest: DataManifest;
  train: ImageSplit;
  test: ImageSplit;
}

async function fetchBytes(url: URL): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot fetch ${url.pathname} (HTTP ${response.status}); run \`npm run browser\`, which exports the data beside the page.`);
  return new Uint8Array(await response.arrayBuffer());
}

export async function loadPageData(base: URL): Promise<PageData> {
  const url = new URL('manifest.json', base);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot fetch ${url.pathname} (HTTP ${response.status}); run \`npm run browser\`, which exports the data beside the page.`);
  const manifest = (await response.json()) as DataManifest;
  if (manifest.format !== DATA_FORMAT) throw new Error(`${url.pathname} is '${String(manifest.format)}', not ${DATA_FORMAT}; export the data again with \`npm run browser\`.`);
  const split = async (part: DataManifest['train']): Promise<ImageSplit> => {
    const [images, labels] = await Promise.all([fetchBytes(new URL(part.images, base)), fetchBytes(new URL(part.labels, base))]);
    if (images.length !== part.count * 3072 || labels.length !== part.count) throw new Error(`${part.images} holds ${images.length / 3072} images and ${labels.length} labels, not ${part.count}; export the data again.`);
    return { images, labels, length: part.count };
  };
  const [train, test] = await Promise.all([split(manifest.train), split(manifest.test)]);
  return { manifest, train, test };
}
