// Types of python.mjs, for the tests that import it.
export interface RunResult {
  ok: boolean;
  reason: string;
  stdout: string;
}
export function run(command: string, args: string[], options?: { cwd?: string; log?: string; timeoutMs?: number; inherit?: boolean }): RunResult;
export function tailOf(text: string, lines?: number): string;
export function ensureVenv(dir: string, options?: { python?: string; log?: string; say?: (line: string) => void }): { ok: true; python: string } | { ok: false; reason: string; python?: undefined };
export function findPip(python: string, toolsVenv: string, options?: { log?: string; say?: (line: string) => void }): { ok: true; python: string } | { ok: false; reason: string; python?: undefined };
export function downloadWheel(options: { python: string; requirement: string; hashes: string[]; wheelsDir: string; log?: string; timeoutMs?: number }): { ok: true; wheel: string; reason?: undefined } | { ok: false; reason: string; wheel?: undefined };
export function extractFromWheel(options: { python: string; wheel: string; prefixes: string[]; target: string; strip: string; log?: string }): { ok: boolean; reason?: string };
