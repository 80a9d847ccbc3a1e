#!/usr/bin/env node
// Gives the examples a working native TensorFlow backend (@tensorflow/tfjs-node,
// or @tensorflow/tfjs-node-gpu) without Google storage.
//
// Why: tfjs-node 4.22's install script downloads libtensorflow 2.9.1 from Google
// storage, which answers 403 since 2026-08 (tensorflow/tfjs#8742) and is out of
// reach for firewalled users; its GPU build is tied to CUDA 11.2. But every PyPI
// TensorFlow wheel carries the same C library (libtensorflow_cc + framework) and
// the C API headers. So, when the standard install fails (or when forced), this
// installs a pinned wheel into a project-local virtualenv, lays out tfjs-node's
// deps/ from it, and builds tfjs-node's own, unmodified binding with node-gyp.
//
// Run by `npm install` (postinstall) and by hand:
//   node scripts/setup-native-backend.mjs [--variant cpu|gpu] [--source auto|standard|pypi] [--rebuild] [--json]
//
// It never leaves a binding that loads and then crashes: every candidate is
// loaded in a child process first, and a failure removes what was built. A
// failure is a clear message and exit code 0 (the examples then fall back to
// wasm/cpu), unless AIRBENCH_REQUIRE_NATIVE=1, as in CI.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** The newest TensorFlow whose wheel builds and passes the checks here; bump deliberately. */
export const TENSORFLOW_VERSION = '2.21.0';

const VARIANTS = {
  cpu: { npmPackage: '@tensorflow/tfjs-node', wheel: `tensorflow-cpu==${TENSORFLOW_VERSION}` },
  gpu: { npmPackage: '@tensorflow/tfjs-node-gpu', wheel: `tensorflow[and-cuda]==${TENSORFLOW_VERSION}` },
};

const HELP = `Usage: node scripts/setup-native-backend.mjs [options]

Builds the native TensorFlow backend for the examples. Idempotent: a second run
reuses the cached build and takes seconds.

Options:
  --variant <cpu|gpu>          cpu: @tensorflow/tfjs-node (default); gpu: @tensorflow/tfjs-node-gpu (CUDA 12).
                               Env: AIRBENCH_TF_VARIANT.
  --source <auto|standard|pypi>  auto: the package's own download, then the PyPI wheel (default).
                               standard / pypi: only that one. Env: AIRBENCH_TF_SOURCE.
  --rebuild                    Ignore the cache and build again.
  --json                       Print one JSON line with the outcome.
  -h, --help                   This text.

Env: AIRBENCH_PYTHON (python for the venv, default python3), AIRBENCH_REQUIRE_NATIVE=1 (fail on failure).
`;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, '.native');

function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        variant: { type: 'string', default: process.env.AIRBENCH_TF_VARIANT || 'cpu' },
        source: { type: 'string', default: process.env.AIRBENCH_TF_SOURCE || 'auto' },
        rebuild: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    process.stderr.write(`setup-native-backend: ${error.message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const variant = VARIANTS[values.variant];
  if (!variant) return refuse(`--variant must be cpu or gpu, not '${values.variant}'.`);
  if (!['auto', 'standard', 'pypi'].includes(values.source)) return refuse(`--source must be auto, standard or pypi, not '${values.source}'.`);

  const started = Date.now();
  mkdirSync(join(nativeDir, 'logs'), { recursive: true });
  const log = join(nativeDir, 'logs', `setup-${values.variant}.log`);
  writeFileSync(log, `setup-native-backend ${new Date().toISOString()} ${JSON.stringify(values)}\n`);
  const say = (line) => {
    if (!values.json) process.stdout.write(`[native-backend] ${line}\n`);
    appendFileSync(log, `${line}\n`);
  };
  const finish = (outcome) => {
    const result = { variant: values.variant, ...outcome, seconds: Math.round((Date.now() - started) / 100) / 10, log };
    if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else if (outcome.ok) say(`ready: ${variant.npmPackage} on TensorFlow ${outcome.tensorflow} (${outcome.source}) in ${result.seconds} s`);
    else {
      say(`FAILED: ${outcome.reason}`);
      say(`The examples will fall back to the wasm or cpu backend (much slower). Log: ${log}`);
    }
    return outcome.ok || process.env.AIRBENCH_REQUIRE_NATIVE !== '1' ? 0 : 1;
  };

  const packageDir = resolvePackage(variant.npmPackage);
  if (!packageDir) return finish({ ok: false, reason: `${variant.npmPackage} is not installed; run npm install first.` });
  const packageJson = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  const bindingPath = join(packageDir, 'lib', `napi-v${napiVersion(packageJson)}`, 'tfjs_binding.node');
  const key = cacheKey(values.variant, packageJson.version);
  const cacheDir = join(nativeDir, 'cache', key);

  // 1. Already working (a second run, or a machine where the standard install ran).
  if (!values.rebuild) {
    const current = probe(variant.npmPackage, log);
    if (current.ok) return finish({ ...current, source: 'existing' });
  }

  // 2. A cached PyPI build for exactly this tfjs-node, TensorFlow, platform: restore it (npm ci wipes node_modules).
  if (!values.rebuild && values.source !== 'standard' && existsSync(join(cacheDir, 'tfjs_binding.node'))) {
    const venv = venvPaths(values.variant);
    if (existsSync(venv.tensorflow)) {
      say(`restoring the cached build ${key}`);
      layOutDeps(packageDir, venv.tensorflow);
      mkdirSync(dirname(bindingPath), { recursive: true });
      copyFileSync(join(cacheDir, 'tfjs_binding.node'), bindingPath);
      const restored = probe(variant.npmPackage, log);
      if (restored.ok) return finish({ ...restored, source: 'pypi (cached)' });
      say(`the cached build does not load (${restored.reason}); building again`);
      removeBuild(packageDir, bindingPath);
    }
  }

  const failures = [];
  // 3. The package's own install script: downloads libtensorflow and a prebuilt binding.
  if (values.source !== 'pypi') {
    say(`trying the standard install of ${variant.npmPackage} (downloads libtensorflow from Google storage)`);
    const script = packageJson.scripts?.install;
    const run = spawnSync('sh', ['-c', script], { cwd: packageDir, encoding: 'utf8', timeout: 120_000 });
    appendFileSync(log, `${run.stdout ?? ''}${run.stderr ?? ''}`);
    const standard = run.status === 0 ? probe(variant.npmPackage, log) : { ok: false, reason: lastLine(run.stderr) || `exit ${run.status}` };
    if (standard.ok) return finish({ ...standard, source: 'standard' });
    failures.push(`standard install: ${standard.reason}`);
    say(`standard install failed: ${standard.reason}`);
    removeBuild(packageDir, bindingPath);
  }

  // 4. The PyPI wheel's C library, and tfjs-node's binding built against it.
  if (values.source !== 'standard') {
    const built = buildFromWheel({ variant, name: values.variant, packageDir, packageJson, bindingPath, say, log });
    if (built.ok) {
      mkdirSync(cacheDir, { recursive: true });
      copyFileSync(bindingPath, join(cacheDir, 'tfjs_binding.node'));
      writeFileSync(join(cacheDir, 'manifest.json'), `${JSON.stringify({ key, tensorflow: built.tensorflow, wheel: variant.wheel, builtAt: new Date().toISOString() }, null, 2)}\n`);
      return finish({ ...built, source: 'pypi' });
    }
    failures.push(`PyPI wheel: ${built.reason}`);
    removeBuild(packageDir, bindingPath);
  }
  return finish({ ok: false, reason: failures.join('; ') });
}

function buildFromWheel({ variant, name, packageDir, packageJson, bindingPath, say, log }) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { ok: false, reason: `the PyPI path supports linux-x64 only, not ${process.platform}-${process.arch}` };
  }
  let venv = venvPaths(name);
  const python = process.env.AIRBENCH_PYTHON || 'python3';
  if (!existsSync(venv.python)) {
    say(`creating the virtualenv ${venv.dir} with ${python}`);
    const made = run(python, ['-m', 'venv', venv.dir], { log });
    if (!made.ok) return { ok: false, reason: `'${python} -m venv' failed (${made.reason}); install Python 3.10–3.13 with venv, or set AIRBENCH_PYTHON` };
  }
  const installed = run(venv.python, ['-m', 'pip', 'show', name === 'cpu' ? 'tensorflow-cpu' : 'tensorflow'], { log });
  if (!installed.ok || !installed.stdout.includes(`Version: ${TENSORFLOW_VERSION}`) || !existsSync(venv.tensorflow)) {
    say(`installing ${variant.wheel} from PyPI into ${venv.dir} (about 300 MB for cpu; a few minutes)`);
    const pip = run(venv.python, ['-m', 'pip', 'install', '--disable-pip-version-check', variant.wheel], { log, inherit: true });
    if (!pip.ok) return { ok: false, reason: `pip install ${variant.wheel} failed (${pip.reason}); see ${log}` };
    venv = venvPaths(name);
  }
  for (const file of ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2', 'include/tensorflow/c/c_api.h', 'include/tensorflow/c/eager/c_api.h']) {
    if (!existsSync(join(venv.tensorflow, file))) return { ok: false, reason: `the wheel has no ${file} in ${venv.tensorflow}` };
  }
  layOutDeps(packageDir, venv.tensorflow);

  say(`building ${variant.npmPackage}'s binding against TensorFlow ${TENSORFLOW_VERSION} with node-gyp`);
  const require = createRequire(join(root, 'package.json'));
  const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
  const args = [
    nodeGyp,
    'rebuild',
    `--module_name=${packageJson.binary.module_name}`,
    `--module_path=${dirname(bindingPath)}`,
    `--napi_build_version=${napiVersion(packageJson)}`,
  ];
  // Use this node's own headers when it ships them, so nothing is downloaded.
  const prefix = resolve(dirname(process.execPath), '..');
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
  const gyp = run(process.execPath, args, { cwd: packageDir, log });
  if (!gyp.ok) return { ok: false, reason: `node-gyp failed (${gyp.reason}); a C++ compiler, make and python are needed; see ${log}` };
  return probe(variant.npmPackage, log);
}

/** tfjs-node's binding.gyp links deps/lib/libtensorflow{,_framework}.so and includes deps/include. */
function layOutDeps(packageDir, tensorflowDir) {
  const deps = join(packageDir, 'deps');
  rmSync(deps, { recursive: true, force: true });
  mkdirSync(join(deps, 'lib'), { recursive: true });
  symlinkSync(join(tensorflowDir, 'include'), join(deps, 'include'));
  // The wheel's libtensorflow_cc carries the whole C API (TF_* and TFE_*), so it stands in for libtensorflow.
  for (const name of ['libtensorflow.so', 'libtensorflow.so.2', 'libtensorflow_cc.so.2']) {
    symlinkSync(join(tensorflowDir, 'libtensorflow_cc.so.2'), join(deps, 'lib', name));
  }
  for (const name of ['libtensorflow_framework.so', 'libtensorflow_framework.so.2']) {
    symlinkSync(join(tensorflowDir, 'libtensorflow_framework.so.2'), join(deps, 'lib', name));
  }
}

function removeBuild(packageDir, bindingPath) {
  rmSync(bindingPath, { force: true });
  rmSync(join(packageDir, 'deps'), { recursive: true, force: true });
  rmSync(join(packageDir, 'build'), { recursive: true, force: true });
}

/**
 * Loads the package in a child process (a crash there cannot take this one
 * down) and runs one op. Returns the TensorFlow version it reports.
 */
function probe(npmPackage, log) {
  const code = `
    const tf = require(${JSON.stringify(npmPackage)});
    const sum = tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).arraySync();
    const versions = tf.version || {};
    process.stdout.write(JSON.stringify({ backend: tf.getBackend(), sum, tensorflow: versions['tfjs-node'] ? tf.backend().binding.TF_Version : null }));
  `;
  const child = spawnSync(process.execPath, ['-e', code], { cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } });
  appendFileSync(log, `probe ${npmPackage}: status ${child.status} signal ${child.signal}\n${child.stdout}\n${child.stderr}\n`);
  if (child.status !== 0) return { ok: false, reason: child.signal ? `loading crashed (${child.signal})` : lastLine(child.stderr) || `exit ${child.status}` };
  try {
    const result = JSON.parse(child.stdout.trim().split('\n').pop());
    if (result.backend !== 'tensorflow' || result.sum.join() !== '4,6') return { ok: false, reason: `wrong result ${child.stdout.trim()}` };
    return { ok: true, tensorflow: result.tensorflow };
  } catch {
    return { ok: false, reason: `unexpected output ${child.stdout.slice(0, 200)}` };
  }
}

function venvPaths(name) {
  const dir = join(nativeDir, `venv-${name}-tf${TENSORFLOW_VERSION}`);
  const python = join(dir, 'bin', 'python');
  let site = null;
  if (existsSync(python)) {
    const result = spawnSync(python, ['-c', "import sysconfig; print(sysconfig.get_paths()['purelib'])"], { encoding: 'utf8' });
    site = result.status === 0 ? result.stdout.trim() : null;
  }
  return { dir, python, tensorflow: site ? join(site, 'tensorflow') : join(dir, 'missing-tensorflow') };
}

function resolvePackage(npmPackage) {
  const candidate = join(root, 'node_modules', npmPackage);
  return existsSync(join(candidate, 'package.json')) ? candidate : null;
}

function napiVersion(packageJson) {
  return Math.max(...(packageJson.binary?.napi_versions ?? [8]));
}

function cacheKey(variant, tfjsVersion) {
  const id = `${variant}|tfjs-node ${tfjsVersion}|tf ${TENSORFLOW_VERSION}|${process.platform}-${process.arch}`;
  return `${variant}-tfjs${tfjsVersion}-tf${TENSORFLOW_VERSION}-${createHash('sha256').update(id).digest('hex').slice(0, 8)}`;
}

function run(command, args, { cwd = root, log, inherit = false }) {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: inherit && process.stdout.isTTY ? 'inherit' : 'pipe',
    maxBuffer: 256 * 2 ** 20,
  });
  if (log) appendFileSync(log, `$ ${command} ${args.join(' ')}\n${result.stdout ?? ''}${result.stderr ?? ''}\n`);
  if (result.error) return { ok: false, reason: result.error.message, stdout: '' };
  return { ok: result.status === 0, reason: lastLine(result.stderr) || `exit ${result.status}`, stdout: result.stdout ?? '' };
}

/** The most telling line of a tool's stderr: its last error line, else its last line. */
function lastLine(text) {
  const lines = (text ?? '').trim().split('\n').map((line) => line.trim()).filter(Boolean);
  const error = lines.filter((line) => /\b[A-Za-z]*Error\b:/.test(line)).pop();
  return (error ?? lines.pop() ?? '').slice(0, 300);
}

function refuse(message) {
  process.stderr.write(`setup-native-backend: ${message}\n\n${HELP}`);
  return 2;
}

process.exitCode = main();
