import { parseArgs } from 'node:util';
import { AirbenchError } from './errors';
import type { DownloadSource } from './fetch';
import { loadCifar10, loadCifar100 } from './load';

const HELP = `Usage: cifar-data <command> [options]

Commands:
  fetch     Find or download CIFAR, verify every file, print a summary.
  verify    Same as fetch, but never use the network.

Options:
  --dataset <cifar10|cifar100>   Which dataset (default cifar10).
  --data-dir <dir>               A directory in the official binary layout (else $CIFAR10_DIR / $CIFAR100_DIR, then the cache).
  --cache-dir <dir>              Where fetched copies are kept (default $AIRBENCH_TS_CACHE_DIR or the user cache dir).
  --sources <list>               Network sources in order, comma-separated: toronto,npm (default both).
  --no-progress                  No progress bars.
  --json                         Print one JSON line instead of the table.
  -h, --help                     This text.
`;

// A refusal is one line and where to look, not the whole help: the error stays in view.
const SEE_HELP = `See 'cifar-data --help' for every option.\n`;

interface Summary {
  dataset: string;
  source: string;
  dir: string;
  trainImages: number;
  testImages: number;
  trainPerClass: Record<string, number>;
  testPerClass: Record<string, number>;
  seconds: number;
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        dataset: { type: 'string', default: 'cifar10' },
        'data-dir': { type: 'string' },
        'cache-dir': { type: 'string' },
        sources: { type: 'string' },
        'no-progress': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    process.stderr.write(`cifar-data: ${(error as Error).message}\n${SEE_HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const command = positionals[0];
  const refuse = (message: string) => {
    process.stderr.write(`cifar-data: ${message}\n${SEE_HELP}`);
    return 2;
  };
  if (command !== 'fetch' && command !== 'verify') return refuse(`unknown command '${command ?? ''}'; use fetch or verify.`);
  if (positionals.length > 1) return refuse(`unexpected argument '${positionals[1]}'.`);
  if (values.dataset !== 'cifar10' && values.dataset !== 'cifar100') return refuse(`--dataset must be cifar10 or cifar100, not '${values.dataset}'.`);
  const sources = (values.sources?.split(',').filter(Boolean) ?? ['toronto', 'npm']) as DownloadSource[];
  const badSource = sources.find((s) => s !== 'toronto' && s !== 'npm');
  if (badSource) return refuse(`--sources takes toronto and/or npm, not '${badSource}'.`);

  const started = performance.now();
  const options = {
    ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
    ...(values['cache-dir'] ? { cacheDir: values['cache-dir'] } : {}),
    sources: command === 'verify' ? [] : sources,
    progress: values['no-progress'] || values.json ? false : Boolean(process.stderr.isTTY),
  };
  try {
    const data = values.dataset === 'cifar10' ? await loadCifar10(options) : await loadCifar100(options);
    const perClass = (labels: Uint8Array) => {
      const counts: Record<string, number> = Object.fromEntries(data.classes.map((name) => [name, 0]));
      for (const label of labels) counts[data.classes[label]!]! += 1;
      return counts;
    };
    const summary: Summary = {
      dataset: values.dataset === 'cifar10' ? 'CIFAR-10' : 'CIFAR-100',
      source: data.location.source,
      dir: data.location.dir,
      trainImages: data.train.length,
      testImages: data.test.length,
      trainPerClass: perClass(data.train.labels),
      testPerClass: perClass(data.test.labels),
      seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
    };
    process.stdout.write(values.json ? `${JSON.stringify(summary)}\n` : table(summary));
    return 0;
  } catch (error) {
    if (AirbenchError.isInstance(error)) {
      process.stderr.write(`cifar-data: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

function table(s: Summary): string {
  const classes = Object.keys(s.trainPerClass);
  const shown = classes.length <= 10 ? classes : classes.slice(0, 5);
  const lines = [
    `${s.dataset}: verified (${s.source}) in ${s.seconds.toFixed(2)} s`,
    `  directory  ${s.dir}`,
    `  train      ${s.trainImages} images`,
    `  test       ${s.testImages} images`,
    `  class${' '.repeat(15)}train   test`,
    ...shown.map((name) => `  ${name.padEnd(18)} ${String(s.trainPerClass[name]).padStart(6)} ${String(s.testPerClass[name]).padStart(6)}`),
    ...(shown.length < classes.length ? [`  … ${classes.length - shown.length} more classes (--json lists all)`] : []),
  ];
  return `${lines.join('\n')}\n`;
}
