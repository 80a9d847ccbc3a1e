// npm run browser: build the page (Vite), export the data and a model beside
// it, then serve it on localhost. Vite, TensorFlow and Playwright are imported
// where a command needs them: `build` runs Vite in a child process first, and
// this process stays small until the child has exited.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseOptions, type Options } from './options';
import { viteConfig } from './vite';

export async function main(argv: string[]): Promise<number> {
  const parsed = parseOptions(argv);
  if ('exit' in parsed) return parsed.exit;
  const options = parsed;
  const out = resolve(options.out);
  if (options.model !== undefined && !existsSync(join(options.model, 'model.json'))) {
    process.stderr.write(`browser: --model ${options.model} has no model.json; pass a directory written by \`npm run airbench -- --save DIR\` (DIR/seed-<s>).\n`);
    return 2;
  }
  const say = (line: string, json: object) => (options.json ? process.stdout.write(`${JSON.stringify(json)}\n`) : process.stderr.write(`${line}\n`));
  if (options.command === 'start' || options.command === 'build') await buildPage(out, options, say);
  if (options.command === 'build') return 0;
  if (!existsSync(join(out, 'index.html')) || !existsSync(join(out, 'data', 'manifest.json'))) {
    process.stderr.write(`browser: ${out} holds no built page; run \`npm run browser -- build\` first (or start, which builds and serves).\n`);
    return 2;
  }
  const { preview } = await import('vite');
  const server = await preview(viteConfig(out, options.command === 'measure' ? 0 : options.port));
  const url = server.resolvedUrls?.local[0] ?? `http://127.0.0.1:${options.port}/`;
  try {
    if (options.command === 'measure') return await measure(url, options, say);
    say(`serving ${out} at ${url} (Ctrl-C stops)`, { event: 'serving', url, out });
    await new Promise<void>((done) => process.once('SIGINT', () => done()).once('SIGTERM', () => done()));
    return 0;
  } finally {
    await server.close();
  }
}

/** The page in headless Chromium: what a person would see, as numbers. */
async function measure(url: string, options: Options, say: (line: string, json: object) => void): Promise<number> {
  const { classifyInPage, openPage, pageState, trainInPage } = await import('./drive');
  const { browser, page } = await openPage(url);
  try {
    const opened = await pageState(page);
    if (opened.error) throw new Error(`the page failed to start: ${opened.error}`);
    say(`page at ${url}: backend ${opened.backend}${opened.unavailable?.length ? ` (not available: ${opened.unavailable.join(', ')})` : ''}; training in the tab…`, { event: 'opened', backend: opened.backend, unavailable: opened.unavailable });
    const training = await trainInPage(page, options.tab);
    const last = training?.epochs.at(-1);
    say(`training ${training?.status}: ${options.tab.widths.join('/')}, ${options.tab.images} images, ${training?.epochs.length} epochs; test accuracy ${last?.valAcc}; ${last?.imagesPerSecond.toFixed(1)} images/s`, { event: 'trained', settings: options.tab, ...training });
    const { node } = await pageState(page);
    if (node) {
      const c = await classifyInPage(page);
      say(`classified ${c!.images} test images with TTA ${c!.tta}: ${(c!.accuracy * 100).toFixed(2)}% in the page, ${(node.accuracy * 100).toFixed(2)}% in Node (${node.backend}); ${c!.seconds.toFixed(1)} s`, { event: 'classified', page: { accuracy: c!.accuracy, images: c!.images, tta: c!.tta, seconds: c!.seconds }, node });
    }
    if (options.screenshot) {
      await mkdir(dirname(resolve(options.screenshot)), { recursive: true });
      await page.screenshot({ path: options.screenshot, fullPage: true });
      say(`screenshot: ${options.screenshot}`, { event: 'screenshot', path: options.screenshot });
    }
    return training?.status === 'done' ? 0 : 1;
  } finally {
    await browser.close();
  }
}

/** Vite's build of the page, in a child process (vite-build.ts) with this process's loader flags; its log goes to stderr. */
async function buildInChild(out: string): Promise<void> {
  const script = fileURLToPath(new URL('./vite-build.ts', import.meta.url));
  const child = spawn(process.execPath, [...process.execArgv, script, out], { stdio: ['ignore', 2, 2] });
  const code = await new Promise<number | null>((resolve, reject) => child.on('error', reject).on('close', resolve));
  if (code !== 0) throw new Error(`browser: building the page with Vite failed (exit ${code}); its output is above.`);
}

async function buildPage(out: string, options: Options, say: (line: string, json: object) => void): Promise<void> {
  const started = performance.now();
  await buildInChild(out);
  const { exportData, exportModel } = await import('./export');
  const { selectBackend } = await import('@airbench-ts-example/backend');
  const { manifest, test } = await exportData(out, { trainImages: options.trainImages, testImages: options.testImages, progress: !options.json, ...(options.dataDir ? { dataDir: options.dataDir } : {}) });
  let model = null;
  if (options.model !== undefined) {
    const backend = await selectBackend({ log: (line) => process.stderr.write(`${line}\n`) });
    model = await exportModel(options.model, out, test, backend.name);
  }
  const seconds = (performance.now() - started) / 1000;
  say(
    `built ${out} in ${seconds.toFixed(1)} s: ${manifest.train.count} training and ${manifest.test.count} test images (${manifest.source})` +
      (model ? `; model ${model.model}: ${(model.accuracy * 100).toFixed(2)}% in Node (${model.backend}, TTA ${model.tta}) on those test images` : '; no --model'),
    { event: 'built', out, train: manifest.train.count, test: manifest.test.count, source: manifest.source, model, seconds },
  );
}
