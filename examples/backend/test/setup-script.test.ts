import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
// The setup script's helpers, tested on their own with real python, pip and processes.
import { downloadWheel, ensureVenv, run } from '../../../scripts/lib/python.mjs';
import { nativeBinding } from '../src/index';

const nativeBuilt = existsSync(nativeBinding('@tensorflow/tfjs-node'));
const root = fileURLToPath(new URL('../../..', import.meta.url));
const setupScript = join(root, 'scripts', 'setup-native-backend.mjs');
const lock = join(root, '.native', 'setup.lock');
const work = mkdtempSync(join(tmpdir(), 'native-setup-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const plan = (...args: string[]) => {
  const result = spawnSync(process.execPath, [setupScript, '--plan', '--json', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, AIRBENCH_TF_SOURCE: '' } });
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout).steps as string[];
};

// Every test that runs the setup script is in this file: the runs share .native/setup.lock, and a run in
// another file, beside these, released the lock this file's test was holding (seen in CI).
describe('setup-native-backend.mjs', () => {
  it('--source pypi and --rebuild build even when a binding loads; auto reuses it', () => {
    expect(plan()).toEqual(['existing', 'cache', 'standard', 'pypi']);
    expect(plan('--source', 'pypi')).toEqual(['pypi']);
    expect(plan('--rebuild')).toEqual(['standard', 'pypi']);
    expect(plan('--source', 'standard')).toEqual(['standard']);
  });

  it.runIf(nativeBuilt)('a second setup run reuses the build and finishes in seconds', () => {
    const setup = spawnSync(process.execPath, [setupScript, '--json'], { cwd: root, encoding: 'utf8' });
    expect(setup.status).toBe(0);
    const result = JSON.parse(setup.stdout.trim());
    expect(result).toMatchObject({ ok: true, variant: 'cpu', source: 'existing' });
    expect(result.seconds).toBeLessThan(30);
    // The GELU ops: reused (or built) for this CPU, and checked in a child process.
    if (process.env.AIRBENCH_REQUIRE_NATIVE === '1') expect(result.nativeOps).toEqual(['AirbenchGeluWithSlope', 'AirbenchGelu']);
    // The signal guard (native/signal_guard.c): reused (or built), and checked in a child process.
    if (process.env.AIRBENCH_REQUIRE_NATIVE === '1') expect(result.signalGuard).toBe(true);
  });

  it.runIf(nativeBuilt)('without a C or C++ compiler the setup still succeeds, says why there are no native ops and no signal guard, and keeps built ones', () => {
    const manifests = [join(root, '.native', 'ops', 'manifest.json'), join(root, '.native', 'signal-guard', 'manifest.json')];
    const read = () => manifests.map((m) => (existsSync(m) ? readFileSync(m, 'utf8') : null));
    const before = read();
    const none = join(work, 'no-such-compiler');
    const setup = spawnSync(process.execPath, [setupScript], { cwd: root, encoding: 'utf8', env: { ...process.env, CXX: none, CC: none } });
    expect(setup.status).toBe(0);
    expect(setup.stdout).toContain(`[native-backend] no native ops (no C++ compiler (${none})); the examples use tfjs ops for GELU instead (slower)`);
    expect(setup.stdout).toContain(`[native-backend] no signal guard (no C compiler (${none})): a signal handled while TensorFlow computes can corrupt the heap (examples/backend/README.md)`);
    expect(setup.stdout).toMatch(/ready: @tensorflow\/tfjs-node on TensorFlow .* \(existing\) in /);
    expect(read()).toEqual(before);
  });

  it('waits for another setup holding the lock, then runs; takes over a lock whose owner died', async () => {
    mkdirSync(lock, { recursive: true });
    writeFileSync(join(lock, 'owner.json'), JSON.stringify({ pid: process.pid }));
    const child = spawn(process.execPath, [setupScript], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += String(chunk)));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(output).toMatch(/another setup is running .*; waiting for it/);
    expect(child.exitCode).toBeNull(); // still waiting
    rmSync(lock, { recursive: true, force: true });
    expect(await exited).toBe(0);
    expect(output).toMatch(/ready: .*\(existing\)|FAILED/);

    // A lock left by a process that no longer exists is taken over at once.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    mkdirSync(lock, { recursive: true });
    writeFileSync(join(lock, 'owner.json'), JSON.stringify({ pid: Number(gone.stdout) }));
    const taken = spawnSync(process.execPath, [setupScript, '--json'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(taken.status).toBe(0);
    expect(existsSync(lock)).toBe(false);
  }, 90_000);
});

describe('python helpers', () => {
  it('detects a virtualenv without pip (an interrupted `python -m venv`) and makes it again', () => {
    const dir = join(work, 'venv');
    expect(run('python3', ['-m', 'venv', '--without-pip', dir]).ok).toBe(true);
    expect(run(join(dir, 'bin', 'python'), ['-m', 'pip', '--version']).ok).toBe(false);
    const said: string[] = [];
    const venv = ensureVenv(dir, { say: (line: string) => said.push(line) });
    expect(venv.ok).toBe(true);
    expect(said.join('\n')).toMatch(/has no working pip .*making it again/);
    expect(run(venv.python!, ['-m', 'pip', '--version']).ok).toBe(true);
  }, 120_000);

  it('refuses a wheel whose hash is not pinned, with pip’s own words in the reason', () => {
    const result = downloadWheel({ python: 'python3', requirement: 'six==1.16.0', hashes: ['0'.repeat(64)], wheelsDir: join(work, 'wheels') });
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/pip download six==1\.16\.0 failed/);
    expect(result.reason).toMatch(/HASHES/i);
  }, 120_000);

  it('stops a command at its time limit', () => {
    const started = performance.now();
    const result = run('sleep', ['10'], { timeoutMs: 300 });
    expect(result.ok).toBe(false);
    expect(result.reason).toBe('sleep 10 timed out after 0.3 s');
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe('npm honours the allowScripts deny entries from the version engines names', () => {
  // tfjs-node's install script downloads from Google storage (403 since 2026-08);
  // our root package.json denies it. npm honours a deny entry for registry
  // packages from 11.16.0 (11.15 runs the script anyway: checked with npm 11.15.0
  // on 2026-12-06); engines says so. Checked here with the real npm 11.16.0 and
  // core-js, a small registry package with a postinstall that our allowScripts
  // also denies, beside the same install without the entries: npm runs the
  // script there, so the check of its log can fail.
  const rootJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

  it('engines.npm is >=11.16.0, and tfjs-node and core-js are denied', () => {
    expect(rootJson.engines.npm).toBe('>=11.16.0');
    expect(rootJson.allowScripts).toMatchObject({ '@tensorflow/tfjs-node': false, '@tensorflow/tfjs-node-gpu': false, 'core-js': false });
  });

  /** A command to its end, asynchronously: the two installs run side by side (network-bound). */
  const exec = (command: string, args: string[], cwd?: string) =>
    new Promise<{ status: number | null; output: string }>((resolve) => {
      const child = spawn(command, args, { cwd, timeout: 120_000 });
      let output = '';
      child.stdout.on('data', (chunk) => (output += String(chunk)));
      child.stderr.on('data', (chunk) => (output += String(chunk)));
      child.on('close', (status) => resolve({ status, output }));
    });
  const version = rootJson.engines.npm.replace('>=', '');
  let npm: Promise<string> | undefined;
  /** npm at the version engines names, installed once for both tests. */
  const npmCli = () =>
    (npm ??= exec('npm', ['install', '--prefix', join(work, 'npm'), '--no-audit', '--no-fund', `npm@${version}`]).then((fetched) => {
      expect(fetched.status, fetched.output).toBe(0);
      return join(work, 'npm', 'node_modules', 'npm', 'bin', 'npm-cli.js');
    }));

  it.concurrent.each([
    ['our allowScripts', false],
    ['no allowScripts', true],
  ])(`npm ${version} with %s runs core-js's postinstall: %s`, async (which, runs) => {
    const project = join(work, `project-${runs ? 'allowed' : 'denied'}`);
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'p', version: '1.0.0', dependencies: { 'core-js': '3.45.1' }, ...(runs ? {} : { allowScripts: rootJson.allowScripts }) }));
    const install = await exec(process.execPath, [await npmCli(), 'install', '--no-audit', '--no-fund', '--foreground-scripts', '--loglevel=info'], project);
    expect(install.status, install.output).toBe(0);
    // npm's info log names the postinstall when it runs it.
    expect(/core-js.*postinstall|run core-js/i.test(install.output), which).toBe(runs);
  }, 180_000);
});
