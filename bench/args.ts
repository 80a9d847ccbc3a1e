/** Shared flag checks of the bench scripts: refuse a bad value before any work, with the flag's name. */
export function integerFlag(tool: string, flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`${tool}: --${flag} must be an integer in [${min}, ${max}], not '${value}'`);
    process.exit(2);
  }
  return n;
}
