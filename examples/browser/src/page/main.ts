// The page: pick a backend, load the exported images, then the three sections.
// Everything measured is also kept in `window.airbenchPage` (read by the tests
// and handy in the console).
import * as tf from '@tensorflow/tfjs-core';
import { pickBackend, BROWSER_BACKENDS } from './backend';
import { classifyTestImages, findModel, type Classification, type NodeFigure } from './classify';
import { drawCurves } from './curves';
import { loadPageData, type PageData } from './data';
import { renderFlipGrid, type FlipTable } from './flip-grid';
import { thumbnail } from './thumbnail';
import { trainInTab, type TabEpoch, type TabResult } from './train';

export interface PageState {
  backend?: string;
  /** Backends tried before it that did not initialise here. */
  unavailable?: string[];
  data?: { train: number; test: number; source: string };
  flips?: FlipTable;
  training?: { status: 'running' | 'done' | 'stopped' | 'failed'; epochs: TabEpoch[]; result?: TabResult; error?: string };
  node?: NodeFigure | null;
  classification?: Classification;
  error?: string;
}

declare global {
  interface Window {
    airbenchPage: PageState;
  }
}

const state: PageState = (window.airbenchPage = {});
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const percent = (x: number) => `${(x * 100).toFixed(2)}%`;
const showMemory = () => ($('memory').textContent = `${tf.memory().numTensors} (${(tf.memory().numBytes / 2 ** 20).toFixed(1)} MB)`);

async function start(): Promise<void> {
  const requested = new URLSearchParams(location.search).get('backend');
  const backend = await pickBackend(requested ? [requested] : BROWSER_BACKENDS);
  Object.assign(state, { backend: backend.name, unavailable: backend.tried });
  $('backend').textContent = backend.tried.length ? `${backend.name} (not available: ${backend.tried.join(', ')})` : backend.name;
  showMemory();

  const data = await loadPageData(new URL('data/', location.href));
  state.data = { train: data.train.length, test: data.test.length, source: data.manifest.source };
  $('data-status').textContent = `${data.train.length} training and ${data.test.length} test images of CIFAR-10 (${data.manifest.source})`;

  state.flips = renderFlipGrid($('flip-grid'), data.train, { images: 6, epochs: 6, seed: 0 });
  setUpTraining(data);
  await setUpClassification(data);
}

function setUpTraining(data: PageData): void {
  const [form, start, stop, status, rows] = [$<HTMLFormElement>('train-form'), $<HTMLButtonElement>('train-start'), $<HTMLButtonElement>('train-stop'), $('train-status'), $('epochs').querySelector('tbody')!];
  const svg = document.getElementById('curves') as unknown as SVGSVGElement;
  let controller: AbortController | undefined;
  stop.addEventListener('click', () => controller?.abort(new Error('stopped by the Stop button')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const number = (id: string) => Number($<HTMLInputElement>(id).value);
    const widths = $<HTMLInputElement>('train-widths').value.split(',').map(Number);
    if (widths.length !== 3 || !widths.every((w) => Number.isInteger(w) && w > 0)) {
      status.textContent = `widths must be three positive integers like 16,32,32, not '${$<HTMLInputElement>('train-widths').value}'.`;
      return;
    }
    const settings = { widths: widths as [number, number, number], images: number('train-images'), epochs: number('train-epochs'), batchSize: number('train-batch'), seed: 0 };
    if (settings.batchSize > Math.min(settings.images, data.train.length)) {
      status.textContent = `batch ${settings.batchSize} is larger than the ${Math.min(settings.images, data.train.length)} training images; lower it.`;
      return;
    }
    controller = new AbortController();
    const epochs: TabEpoch[] = [];
    state.training = { status: 'running', epochs };
    rows.replaceChildren();
    drawCurves(svg, epochs, settings.epochs);
    start.disabled = true;
    stop.disabled = false;
    status.textContent = `training on ${state.backend}: ${Math.min(settings.images, data.train.length)} images, ${settings.epochs} epochs…`;
    // Start after this click's handler returns: on the cpu backend a step holds the main thread until its end.
    const run = () => trainInTab(data, settings, (epoch) => {
      epochs.push(epoch);
      const row = rows.insertRow();
      for (const text of [String(epoch.epoch), epoch.trainLoss.toFixed(3), percent(epoch.trainAcc), epoch.valAcc === null ? '–' : percent(epoch.valAcc), epoch.seconds.toFixed(1), epoch.imagesPerSecond.toFixed(0)]) row.insertCell().textContent = text;
      drawCurves(svg, epochs, settings.epochs);
      showMemory();
    }, controller!.signal);
    new Promise((resolve) => setTimeout(resolve, 50))
      .then(run)
      .then((result) => {
        state.training = { status: 'done', epochs, result };
        status.textContent = `done: test accuracy ${percent(epochs.at(-1)?.valAcc ?? NaN)}; tensors ${result.tensorsBefore} before the run, ${result.tensorsAfter} after`;
      })
      .catch((error: unknown) => {
        const stopped = controller!.signal.aborted;
        state.training = { status: stopped ? 'stopped' : 'failed', epochs, error: String(error) };
        status.textContent = stopped ? `stopped after ${epochs.length} epoch(s); the partial model was freed` : `failed: ${String(error)}`;
      })
      .finally(() => {
        start.disabled = false;
        stop.disabled = true;
        showMemory();
      });
  });
}

async function setUpClassification(data: PageData): Promise<void> {
  const base = new URL('model/', location.href);
  const [status, button, result, grid] = [$('classify-status'), $<HTMLButtonElement>('classify-start'), $('classify-result'), $('classify-grid')];
  const node = (state.node = await findModel(base));
  if (!node) {
    status.textContent = 'no model exported with this page: train one with `npm run airbench -- --save models`, then `npm run browser -- --model models/seed-0`.';
    return;
  }
  status.textContent = `model ${node.model}: in Node (${node.backend}), TTA ${node.tta}, ${percent(node.accuracy)} on these ${node.images} test images.`;
  button.disabled = false;
  button.addEventListener('click', async () => {
    button.disabled = true;
    result.textContent = `classifying ${data.test.length} test images on ${state.backend}…`;
    try {
      const c = (state.classification = await classifyTestImages(base, data.test));
      result.textContent = `in this page (${state.backend}): ${percent(c.accuracy)} on ${c.images} test images with TTA ${c.tta}, ${c.seconds.toFixed(1)} s — in Node: ${percent(node.accuracy)}.`;
      grid.replaceChildren(
        ...Array.from({ length: Math.min(24, c.images) }, (_, i) => {
          const figure = document.createElement('figure');
          figure.className = c.correct[i] ? 'right' : 'wrong';
          const caption = document.createElement('figcaption');
          caption.textContent = `${data.manifest.classes[data.test.labels[i]!]} ${c.correct[i] ? '✓' : '✗'}`;
          figure.append(thumbnail(data.test, i), caption);
          return figure;
        }),
      );
    } catch (error) {
      result.textContent = `failed: ${String(error)}`;
    } finally {
      button.disabled = false;
      showMemory();
    }
  });
}

start().catch((error: unknown) => {
  state.error = String(error);
  $('backend').textContent = `error: ${String(error)}`;
});
