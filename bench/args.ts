// The bench scripts' flags, on the examples' CLI layer: each script declares its
// options on benchCommand(...) and reads them with parseBench(...). --data-dir,
// --json and --help are common; a bad value is refused before any work (exit 2).
import type { Command } from 'commander';
import { createCommand, naming, option, parseCommand } from '@airbench-ts-example/cli';

export function benchCommand(tool: string, description: string): Command {
  return createCommand({ name: tool, description })
    .addOption(option('--data-dir <dir>', 'CIFAR-10 in the official binary layout (default: $CIFAR10_DIR, the cache, a download)', naming('a directory')))
    .addOption(option('--json', 'the result as one JSON line on stdout'));
}

/** The parsed values (camelCase), or the process exits: 0 after --help, 2 after a refusal. */
export function parseBench<T extends Record<string, unknown>>(command: Command, argv = process.argv.slice(2)): T & { dataDir?: string; json: boolean } {
  const parsed = parseCommand(command, argv, (values) => ({ ...values, json: values.json === true }) as T & { dataDir?: string; json: boolean });
  // A refusal or --help is { exit } alone; parsed values always carry json.
  if (!('json' in parsed)) process.exit(parsed.exit);
  return parsed;
}
