import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

const COMMON = {
  'data-dir': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies Options;

/**
 * The flags of a bench script plus the common ones (--data-dir, --json, --help):
 * --help prints the usage; an unknown or malformed flag is refused with the usage,
 * exit 2, before any work.
 */
type Value<O> = O extends { type: 'boolean' } ? boolean : O extends { default: string } ? string : string | undefined;
export type BenchValues<T> = { [K in keyof T]: Value<T[K]> } & { 'data-dir'?: string; json: boolean; help: boolean };

export function parseBenchArgs<T extends Options>(tool: string, usage: string, options: T): BenchValues<T> {
  let values: BenchValues<T>;
  try {
    values = parseArgs({ options: { ...options, ...COMMON }, strict: true }).values as unknown as BenchValues<T>;
  } catch (error) {
    console.error(`${tool}: ${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  return values;
}

/** Shared flag checks of the bench scripts: refuse a bad value before any work, with the flag's name. */
export function integerFlag(tool: string, flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`${tool}: --${flag} must be an integer in [${min}, ${max}], not '${value}'`);
    process.exit(2);
  }
  return n;
}
