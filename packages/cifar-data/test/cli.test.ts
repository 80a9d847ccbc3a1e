import { describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli';

function stderrOf(run: () => Promise<number>): Promise<{ code: number; text: string }> {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  return run().then(
    (code) => (spy.mockRestore(), { code, text: chunks.join('') }),
    (error: unknown) => {
      spy.mockRestore();
      throw error;
    },
  );
}

describe('the cifar-data CLI refuses bad input before any work', () => {
  it.each([
    [['fetch', '--bogus'], /^cifar-data: unknown option '--bogus'/],
    [['download'], /^cifar-data: unknown command 'download'/],
    [['fetch', '--dataset', 'mnist'], /^cifar-data: --dataset must be cifar10 or cifar100, not 'mnist'\./],
  ])('%j: one line naming the problem, then where the options are (exit 2)', async (argv, message) => {
    const { code, text } = await stderrOf(() => main(argv));
    expect(code).toBe(2);
    expect(text).toMatch(message);
    expect(text.trim().split('\n')).toHaveLength(2);
    expect(text).toMatch(/\nSee 'cifar-data --help' for every option\.\n$/);
  });
});
