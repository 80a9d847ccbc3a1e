import { parseArgs } from 'node:util';

export const HELP = `Usage: npm run browser -- [start|build|serve|measure] [options]

The packages in a browser (examples/browser): a Vite page that shows the alternating
flip of @airbench-ts/derand-flip, trains a narrow airbench94 in the tab with the best
backend the browser offers (webgpu → webgl → cpu) and classifies test images with a
model trained in Node. The page fetches nothing but its own files.

Commands:
  start     build, then serve (default)
  build     export a CIFAR-10 subset (and --model) beside the page and build it into --out
  serve     serve a built --out on localhost
  measure   serve a built --out and drive it in headless Chromium: a training in the tab,
            the Node model's classification, a screenshot; prints what it measured

Options:
  --out <dir>            the built page (default examples/browser/dist)
  --train-images <n>     training images exported for the page (default 5000)
  --test-images <n>      test images exported for the page (default 1000)
  --model <dir>          a model written by \`npm run airbench -- --save DIR\` (DIR/seed-<s>):
                         copied beside the page with its accuracy in Node on the same test images
  --data-dir <dir>       CIFAR-10 binary directory (default: $CIFAR10_DIR, the cache, then the fetch)
  --port <n>             serve: the port (default 5173; 0 picks a free one)
  --widths <a,b,c>       measure: the tab's airbench94 widths (default 16,32,32)
  --images <n>           measure: training images in the tab (default 2000)
  --epochs <n>           measure: epochs in the tab (default 4)
  --batch <n>            measure: batch size in the tab (default 200)
  --screenshot <file>    measure: a full-page PNG at the end (default: none)
  --json                 one JSON line per step (built, serving) on stdout
  -h, --help             this text
`;

export type Command = 'start' | 'build' | 'serve' | 'measure';

export interface Options {
  command: Command;
  out: string;
  trainImages: number;
  testImages: number;
  model?: string;
  dataDir?: string;
  port: number;
  /** measure: the training in the tab. */
  tab: { widths: [number, number, number]; images: number; epochs: number; batchSize: number };
  screenshot?: string;
  json: boolean;
}

/** Parses and checks every flag before any work starts; returns an exit code for --help and errors. */
export function parseOptions(argv: string[]): Options | { exit: number } {
  const refuse = (message: string) => {
    // One line and where to look, not the whole help: the error stays in view.
    process.stderr.write(`browser: ${message}\nSee 'npm run browser -- --help' for every option.\n`);
    return { exit: 2 };
  };
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string', default: 'examples/browser/dist' },
        'train-images': { type: 'string', default: '5000' },
        'test-images': { type: 'string', default: '1000' },
        model: { type: 'string' },
        'data-dir': { type: 'string' },
        port: { type: 'string', default: '5173' },
        widths: { type: 'string', default: '16,32,32' },
        images: { type: 'string', default: '2000' },
        epochs: { type: 'string', default: '4' },
        batch: { type: 'string', default: '200' },
        screenshot: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    return refuse((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return { exit: 0 };
  }
  const command = positionals[0] ?? 'start';
  if (positionals.length > 1 || !['start', 'build', 'serve', 'measure'].includes(command)) return refuse(`give one command, start, build, serve or measure, not '${positionals.join(' ')}'.`);
  const integer = (value: string, min: number, max: number) => {
    const n = Number(value);
    return Number.isSafeInteger(n) && n >= min && n <= max ? n : null;
  };
  const trainImages = integer(values['train-images'], 1, 50_000);
  if (trainImages === null) return refuse(`--train-images must be an integer in 1..50000, not '${values['train-images']}'.`);
  const testImages = integer(values['test-images'], 1, 10_000);
  if (testImages === null) return refuse(`--test-images must be an integer in 1..10000, not '${values['test-images']}'.`);
  const port = integer(values.port, 0, 65_535);
  if (port === null) return refuse(`--port must be an integer in 0..65535, not '${values.port}'.`);
  if (values.out === '') return refuse('--out must name a directory.');
  if (values.model !== undefined && (command === 'serve' || command === 'measure')) return refuse(`--model is read by build (and start), not ${command}: the model is exported into the page when it is built.`);
  const widths = values.widths.split(',').map((w) => integer(w, 1, 1024));
  if (widths.length !== 3 || widths.some((w) => w === null)) return refuse(`--widths must be three integers in 1..1024 like 16,32,32, not '${values.widths}'.`);
  const images = integer(values.images, 1, 50_000);
  if (images === null) return refuse(`--images must be an integer in 1..50000, not '${values.images}'.`);
  const epochs = integer(values.epochs, 1, 100);
  if (epochs === null) return refuse(`--epochs must be an integer in 1..100, not '${values.epochs}'.`);
  const batchSize = integer(values.batch, 1, images);
  if (batchSize === null) return refuse(`--batch must be an integer in 1..--images (${images}), not '${values.batch}'.`);
  if (values.screenshot !== undefined && !values.screenshot.endsWith('.png')) return refuse(`--screenshot must name a .png file, not '${values.screenshot}'.`);
  return {
    command: command as Command,
    out: values.out,
    trainImages,
    testImages,
    ...(values.model !== undefined ? { model: values.model } : {}),
    ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] } : {}),
    port,
    tab: { widths: widths as [number, number, number], images, epochs, batchSize },
    ...(values.screenshot !== undefined ? { screenshot: values.screenshot } : {}),
    json: values.json,
  };
}
