import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { AirbenchError } from './errors';
import type { DownloadSource } from './fetch';
import { loadCifar10, loadCifar100 } from './load';

// The cifar-data command, on commander (pinned to 14: commander 15 needs Node 22,
// and this package supports Node 20). Every flag is checked before any work; a
// refusal is one line and where to look, not the whole help: the error stays in view.
const SEE_HELP = `See 'cifar-data --help' for every option.\n`;

interface Flags {
  dataset: 'cifar10' | 'cifar100';
  dataDir?: string;
  cacheDir?: string;
  sources: DownloadSource[];
  progress: boolean;
  json?: boolean;
}

function sourceList(value: string): DownloadSource[] {
  const sources = value.split(',').filter(Boolean);
  const bad = sources.find((s) => s !== 'toronto' && s !== 'npm');
  if (bad !== undefined || sources.length === 0) throw new InvalidArgumentError(`--sources takes toronto and/or npm, not '${bad ?? value}'.`);
  return sources as DownloadSource[];
}

function dataset(value: string): Flags['dataset'] {
  if (value !== 'cifar10' && value !== 'cifar100') throw new InvalidArgumentError(`--dataset must be cifar10 or cifar100, not '${value}'.`);
  return value;
}

/** The program: two commands with the same flags; `run` receives the command's name and flags. */
function program(run: (command: 'fetch' | 'verify', flags: Flags) => void): Command {
  const root = new Command('cifar-data')
    .usage('<command> [options]')
    .description('Find or fetch CIFAR-10 / CIFAR-100 in the official binary layout, verify every file, print a summary.')
    .helpOption('-h, --help', 'this text')
    .exitOverride()
    .configureOutput({ writeErr: () => {}, outputError: () => {} })
    .addHelpText('after', "\nEach command's options: cifar-data fetch --help");
  const commands = { fetch: 'find or download CIFAR, verify every file, print a summary', verify: 'hash every file (also one a load would trust as verified before), never use the network' } as const;
  for (const [name, description] of Object.entries(commands) as ['fetch' | 'verify', string][]) {
    root
      .command(name)
      .description(description)
      .helpOption('-h, --help', 'this text')
      .exitOverride()
      .configureOutput({ writeErr: () => {}, outputError: () => {} })
      .addOption(new Option('--dataset <cifar10|cifar100>', 'which dataset').default('cifar10').argParser(dataset))
      .addOption(new Option('--data-dir <dir>', 'a directory in the official binary layout (else $CIFAR10_DIR / $CIFAR100_DIR, then the cache)'))
      .addOption(new Option('--cache-dir <dir>', 'where fetched copies are kept (default $AIRBENCH_TS_CACHE_DIR or the user cache dir)'))
      .addOption(new Option('--sources <list>', 'network sources in order, comma-separated').default(['toronto', 'npm'], 'toronto,npm').argParser(sourceList))
      .addOption(new Option('--no-progress', 'no progress bars'))
      .addOption(new Option('--json', 'print one JSON line instead of the table'))
      .action((flags: Flags) => run(name, flags));
  }
  return root;
}

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
  let chosen: { command: 'fetch' | 'verify'; flags: Flags } | undefined;
  const root = program((command, flags) => (chosen = { command, flags }));
  try {
    if (argv.length === 0) throw new CommanderError(2, 'cifar-data.noCommand', 'give a command: fetch or verify.');
    root.parse(argv, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help') return 0;
    // commander: "error: option '--dataset <…>' argument 'x' is invalid. <our message>"; ours alone says it.
    const message = error.message.replace(/^error: /, '').replace(/^option '.*?' argument '.*?' is invalid\. /s, '').replace(/\n/g, ' ');
    process.stderr.write(`cifar-data: ${message}\n${SEE_HELP}`);
    return 2;
  }
  if (!chosen) return 0;
  const { command, flags } = chosen;
  const started = performance.now();
  const options = {
    ...(flags.dataDir ? { dataDir: flags.dataDir } : {}),
    ...(flags.cacheDir ? { cacheDir: flags.cacheDir } : {}),
    sources: command === 'verify' ? [] : flags.sources,
    // verify hashes every byte, also of files that a load would trust as verified before (verified-stamps.ts).
    rehash: command === 'verify',
    progress: !flags.progress || flags.json ? false : Boolean(process.stderr.isTTY),
  };
  const values = { dataset: flags.dataset, json: flags.json === true };

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
