// The one CLI layer of the examples and benches, over commander. Each CLI
// declares its options once (flag, help text, parser, default); the help is
// generated from the declarations; every value is parsed and checked before any
// work starts; a refusal is one line, "<program>: <what is wrong>", and where to
// look, with exit code 2 (0 after --help).
//
// commander is pinned to 14: commander 15 needs Node 22, and this project
// supports Node 20.
import { Command, CommanderError, Option } from 'commander';
export { onStopSignal, stopExitCode, type StopSignal } from './stop-signal';

/** What a value parser throws: `reason` completes "<--flag> <reason>, not '<value>'." */
export class RefusedValue extends Error {}

/** A parser's refusal of a whole command line (a missing command, two flags that do not go together). */
export interface Refusal {
  exit: number;
}

export interface CliSpec {
  /** The program's name in messages, e.g. 'variance'. */
  name: string;
  /** How a user runs it (default `npm run <name> --`): the Usage line and the "See … --help" hint. */
  invocation?: string;
  /** The arguments after the invocation in the Usage line (default `[options]`). */
  usage?: string;
  description: string;
  /** Text after the options (commands, environment, examples). */
  epilogue?: string;
}

/** A command with the project's conventions; declare its options with `option(…)` and parse with `parseCommand`. */
export function createCommand(spec: CliSpec): Command {
  const invocation = spec.invocation ?? `npm run ${spec.name} --`;
  const command = new Command(invocation)
    .description(spec.description)
    .usage(spec.usage ?? '[options]')
    .helpOption('-h, --help', 'this text')
    .allowExcessArguments(false)
    .exitOverride()
    // Errors are printed by parseCommand, in one format; help goes to stdout.
    .configureOutput({ writeErr: () => {}, outputError: () => {} })
    .configureHelp({ helpWidth: 118, sortOptions: false });
  (command as Command & { spec: CliSpec }).spec = { ...spec, invocation };
  if (spec.epilogue) command.addHelpText('after', `\n${spec.epilogue.trimEnd()}`);
  return command;
}

/**
 * An option whose value `parse` checks (it throws RefusedValue); `defaultValue`
 * is used as is and shown in the help, `shownDefault` replaces what is shown.
 */
export function option<T>(flags: string, description: string, parse?: (value: string) => T, defaultValue?: T, shownDefault?: string): Option {
  const declared = new Option(flags, description);
  const flag = declared.long ?? declared.short ?? flags;
  if (parse) {
    declared.argParser((value: string) => {
      try {
        return parse(value);
      } catch (error) {
        if (error instanceof RefusedValue) throw new RefusedValue(`${flag} ${error.message}, not '${value}'.`);
        throw error;
      }
    });
  }
  if (defaultValue !== undefined) declared.default(defaultValue, shownDefault);
  return declared;
}

/**
 * Parses `argv` (the words after the invocation). `finish` turns commander's
 * values and positional arguments into the CLI's options, and may refuse
 * combinations with `refuse(message)`.
 */
export function parseCommand<T>(
  command: Command,
  argv: readonly string[],
  finish: (values: Record<string, unknown>, args: string[], refuse: (message: string) => Refusal) => T | Refusal,
): T | Refusal {
  const { name, invocation } = (command as Command & { spec: Required<Pick<CliSpec, 'name' | 'invocation'>> }).spec;
  const refuse = (message: string): Refusal => {
    // One line and where to look, not the whole help: the error stays in view.
    process.stderr.write(`${name}: ${message}\nSee '${invocation} --help' for every option.\n`);
    return { exit: 2 };
  };
  try {
    command.parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof RefusedValue) return refuse(error.message);
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help') return { exit: 0 };
      return refuse(error.message.replace(/^error: /, '').replace(/\n/g, ' '));
    }
    throw error;
  }
  return finish(command.opts(), command.args, refuse);
}

const describeInteger = (min: number, max: number) =>
  max === Number.MAX_SAFE_INTEGER ? (min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : `an integer ≥ ${min}`) : `an integer in [${min}, ${max}]`;

/** An integer in [min, max]. */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = value.trim() === '' ? NaN : Number(value);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new RefusedValue(`must be ${describeInteger(min, max)}`);
    return n;
  };
}

/** A finite number > 0. */
export function positiveNumber(value: string): number {
  const n = value.trim() === '' ? NaN : Number(value);
  if (!(n > 0 && Number.isFinite(n))) throw new RefusedValue('must be a positive number');
  return n;
}

/** One of `choices`, as written. */
export function oneOf<const C extends string>(choices: readonly C[]): (value: string) => C {
  const listed = choices.length === 1 ? choices[0] : `${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}`;
  return (value) => {
    if (!(choices as readonly string[]).includes(value)) throw new RefusedValue(`must be ${listed}`);
    return value as C;
  };
}

/** A comma-separated list, each item parsed by `item`; `what` names the whole in the refusal. */
export function listOf<T>(item: (value: string) => T, what: string, count?: number): (value: string) => T[] {
  return (value) => {
    const parts = value.split(',');
    if (count !== undefined && parts.length !== count) throw new RefusedValue(`must be ${what}`);
    try {
      return parts.map((part) => item(part.trim()));
    } catch (error) {
      if (error instanceof RefusedValue) throw new RefusedValue(`must be ${what}`);
      throw error;
    }
  };
}

/** A non-empty string; `what` says what it names ("a directory"). */
export function naming(what: string): (value: string) => string {
  return (value) => {
    if (value.trim() === '') throw new RefusedValue(`must name ${what}`);
    return value;
  };
}

/** A string matching `pattern`; `what` describes the form ("sqlite:<path> or postgres://…"). */
export function matching(pattern: RegExp, what: string): (value: string) => string {
  return (value) => {
    if (!pattern.test(value)) throw new RefusedValue(`must be ${what}`);
    return value;
  };
}

/**
 * A CLI's entry: runs `main` on the command line's words and sets the exit
 * code; an error that escapes is one line, "<name>: <message>", and exit 1.
 */
export function runMain(name: string, main: (argv: string[]) => Promise<number>): void {
  void runCommand(name, main, process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

/** What runMain does, for given words, resolving to the exit code (tests run a CLI's refusals in-process with it). */
export async function runCommand(name: string, main: (argv: string[]) => Promise<number>, argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (error) {
    process.stderr.write(`${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

/** For tests: what a parser printed on stderr, and what it returned. */
export function captureStderr<T>(parse: () => T): { result: T; text: string } {
  const write = process.stderr.write;
  const chunks: string[] = [];
  process.stderr.write = ((chunk: string | Uint8Array) => (chunks.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    return { result: parse(), text: chunks.join('') };
  } finally {
    process.stderr.write = write;
  }
}

/** For tests: what an asynchronous call (a CLI's main) printed on stdout and stderr until it settled (`text`: both, in order), and what it resolved to. */
export async function captureOutput<T>(run: () => Promise<T>): Promise<{ result: T; text: string; stdout: string; stderr: string }> {
  const streams = [process.stdout, process.stderr] as const;
  const writes = streams.map((stream) => stream.write);
  const chunks: [number, string][] = [];
  streams.forEach((stream, i) => (stream.write = ((chunk: string | Uint8Array) => (chunks.push([i, String(chunk)]), true)) as typeof stream.write));
  try {
    const result = await run();
    const of = (i?: number) => chunks.filter(([s]) => i === undefined || s === i).map(([, text]) => text).join('');
    return { result, text: of(), stdout: of(0), stderr: of(1) };
  } finally {
    streams.forEach((stream, i) => (stream.write = writes[i]!));
  }
}
