import { createCommand, integer, listOf, naming, option, parseCommand, RefusedValue, type Refusal } from '@airbench-ts-example/cli';

export type Command = 'start' | 'build' | 'serve' | 'measure';
const COMMANDS = ['start', 'build', 'serve', 'measure'] as const;

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

function pngFile(value: string): string {
  if (!value.endsWith('.png')) throw new RefusedValue('must name a .png file');
  return value;
}

/** Parses and checks every flag before any work starts; returns an exit code for --help and refusals. */
export function parseOptions(argv: string[]): Options | Refusal {
  const command = createCommand({
    name: 'browser',
    usage: '[start|build|serve|measure] [options]',
    description: `The packages in a browser (examples/browser): a Vite page that shows the alternating
flip of @airbench-ts/derand-flip, trains a narrow airbench94 in the tab with the best
backend the browser offers (webgpu → webgl → cpu) and classifies test images with a
model trained in Node. The page fetches nothing but its own files.`,
    epilogue: `Commands:
  start    build, then serve (default)
  build    export a CIFAR-10 subset (and --model) beside the page and build it into --out
  serve    serve a built --out on localhost
  measure  serve a built --out and drive it in headless Chromium: a training in the tab,
           the Node model's classification, a screenshot; prints what it measured`,
  })
    .argument('[command]')
    .addOption(option('--out <dir>', 'the built page', naming('a directory'), 'examples/browser/dist'))
    .addOption(option('--train-images <n>', 'training images exported for the page', integer(1, 50_000), 5000))
    .addOption(option('--test-images <n>', 'test images exported for the page', integer(1, 10_000), 1000))
    .addOption(option('--model <dir>', 'a model written by `npm run airbench -- --save DIR` (DIR/seed-<s>): copied beside the page with its accuracy in Node on the same test images', naming('a directory')))
    .addOption(option('--data-dir <dir>', 'CIFAR-10 binary directory (default: $CIFAR10_DIR, the cache, then the fetch)', naming('a directory')))
    .addOption(option('--port <n>', 'serve: the port (0 picks a free one)', integer(0, 65_535), 5173))
    .addOption(option('--widths <a,b,c>', "measure: the tab's airbench94 widths", listOf(integer(1, 1024), 'three integers in [1, 1024] like 16,32,32', 3), [16, 32, 32], '16,32,32'))
    .addOption(option('--images <n>', 'measure: training images in the tab', integer(1, 50_000), 2000))
    .addOption(option('--epochs <n>', 'measure: epochs in the tab', integer(1, 100), 4))
    .addOption(option('--batch <n>', 'measure: batch size in the tab, at most --images', integer(1), 200))
    .addOption(option('--screenshot <file>', 'measure: a full-page PNG at the end (default: none)', pngFile))
    .addOption(option('--json', 'one JSON line per step (built, serving) on stdout'));
  return parseCommand(command, argv, (values, args, refuse) => {
    const name = (args[0] ?? 'start') as Command;
    if (!COMMANDS.includes(name)) return refuse(`give one command, start, build, serve or measure, not '${args.join(' ')}'.`);
    const v = values as Omit<Options, 'command' | 'tab' | 'json'> & { widths: [number, number, number]; images: number; epochs: number; batch: number };
    if (v.model !== undefined && (name === 'serve' || name === 'measure')) return refuse(`--model is read by build (and start), not ${name}: the model is exported into the page when it is built.`);
    if (v.batch > v.images) return refuse(`--batch must be an integer in [1, --images (${v.images})], not '${v.batch}'.`);
    return {
      command: name,
      out: v.out,
      trainImages: v.trainImages,
      testImages: v.testImages,
      ...(v.model !== undefined ? { model: v.model } : {}),
      ...(v.dataDir !== undefined ? { dataDir: v.dataDir } : {}),
      port: v.port,
      tab: { widths: v.widths, images: v.images, epochs: v.epochs, batchSize: v.batch },
      ...(v.screenshot !== undefined ? { screenshot: v.screenshot } : {}),
      json: values.json === true,
    };
  });
}
