#!/usr/bin/env node
// Gives the examples a working native TensorFlow backend (@tensorflow/tfjs-node,
// or @tensorflow/tfjs-node-gpu) without Google storage.
//
// Why: tfjs-node 4.22's install script downloads libtensorflow 2.9.1 from Google
// storage, which answers 403 since 2026-08 (tensorflow/tfjs#8742) and is out of
// reach for firewalled users; its GPU build is tied to CUDA 11.2. But every PyPI
// TensorFlow wheel carries the same C library (libtensorflow_cc + framework) and
// the C API headers. So, when the standard install fails (or when forced), this
// downloads the one pinned wheel (sha256-checked, no dependencies), unpacks its
// libraries and headers, lays out tfjs-node's deps/ from them, and builds
// tfjs-node's own, unmodified binding with node-gyp. The GPU variant installs the
// wheel into a virtualenv instead, for the CUDA libraries its extra pulls in.
//
// Run by `npm install` (postinstall) and by hand:
//   node scripts/setup-native-backend.mjs [--variant cpu|gpu] [--source auto|standard|pypi] [--rebuild] [--plan] [--json]
//
// Two setups at once (two installs, or a test beside an install) take turns: a
// lock on .native/ makes the second wait, then reuse what the first built.
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
import { buildNativeOps } from './lib/native-ops.mjs';
import { buildSignalGuard } from './lib/signal-guard.mjs';
import { downloadWheel, ensureVenv, extractFromWheel, findPip, run } from './lib/python.mjs';
import { isAlive } from './lib/process.mjs';

/** The newest TensorFlow whose wheel builds and passes the checks here; bump deliberately. */
export const TENSORFLOW_VERSION = '2.21.0';

// sha256 of the linux-x86_64 wheels for CPython 3.10, 3.11, 3.12 and 3.13 (PyPI's
// simple index, 2026-11-27). pip --require-hashes accepts no other file.
const VARIANTS = {
  cpu: {
    npmPackage: '@tensorflow/tfjs-node',
    wheel: `tensorflow-cpu==${TENSORFLOW_VERSION}`,
    hashes: [
      'd143e92f5c0661cdfa26eaca8f73cd2efd0ec53a68af8dec82f584ba8eb14b83',
      '2b847d217b02ee7731ed91431daf3250daa0196c3c94614d23be27232e6e5b6c',
      'dcc8afd32930e42d5296b6ee19078b773706830af4ea97fbe503b9f5e0f820cb',
      '05af7c26d35f4de910b5598c7b507e3981831a7b0f47fed9a405d995d51d7793',
    ],
  },
  gpu: {
    npmPackage: '@tensorflow/tfjs-node-gpu',
    wheel: `tensorflow==${TENSORFLOW_VERSION}`,
    hashes: [
      '77c6f298e695ea1d283cdd7d30f8d97530cc6e92c1395a9ddbab9771c99233a4',
      '9056fbc9ba04235810b71ae6cbd958a196e8804fb53bbcffbf3e23b56155f124',
      'b3b95643c4e70eb925839938fb35cbe142f317ec84af6844ee61513713bb13c0',
      'e9d8da8dcab9650efb45f032ba70af2f016f907e6e0c6bda29dd101bba945406',
    ],
  },
};

const MINUTE = 60_000;

const HELP = `Usage: node scripts/setup-native-backend.mjs [options]

Builds the native TensorFlow backend for the examples. Idempotent: a second run
reuses the cached build and takes seconds.

Options:
  --variant <cpu|gpu>          cpu: @tensorflow/tfjs-node (default); gpu: @tensorflow/tfjs-node-gpu (CUDA 12).
                               Env: AIRBENCH_TF_VARIANT.
  --source <auto|standard|pypi>  auto: the package's own download, then the PyPI wheel (default).
                               standard / pypi: only that one. Env: AIRBENCH_TF_SOURCE.
  --rebuild                    Ignore the cache and build again.
  --plan                       Print the steps this run would take, do nothing.
  --json                       Print one JSON line with the outcome.
  -h, --help                   This text.

Env: AIRBENCH_PYTHON (python for pip, default python3), AIRBENCH_REQUIRE_NATIVE=1 (fail on failure),
AIRBENCH_SETUP_LOCK_WAIT (seconds to wait for another setup, default 1800).
`;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, '.native');

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        variant: { type: 'string', default: process.env.AIRBENCH_TF_VARIANT || 'cpu' },
        source: { type: 'string', default: process.env.AIRBENCH_TF_SOURCE || 'auto' },
        rebuild: { type: 'boolean', default: false },
        plan: { type: 'boolean', default: false },
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
  if (values.plan) return printPlan(values, variant);
  let release;
  try {
    release = await acquireLock(values.json);
  } catch (error) {
    process.stderr.write(`setup-native-backend: ${error.message}\n`);
    return process.env.AIRBENCH_REQUIRE_NATIVE === '1' ? 1 : 0;
  }
  try {
    return setUp(values, variant, started);
  } finally {
    release();
  }
}

/**
 * Waits for any other setup of this checkout to finish. The lock is a directory
 * (mkdir is atomic) holding its owner's pid; a waiter takes it over when that
 * process is gone (killed mid-build). Not an mtime heartbeat like
 * proper-lockfile's: the build steps block this process for minutes, so a
 * heartbeat could not run and the lock would look stale while in use.
 */
async function acquireLock(quiet) {
  const waitSeconds = Number(process.env.AIRBENCH_SETUP_LOCK_WAIT ?? 1800);
  const lock = join(nativeDir, 'setup.lock');
  const owner = join(lock, 'owner.json');
  const take = () => {
    try {
      mkdirSync(lock);
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      let pid = null;
      try {
        pid = JSON.parse(readFileSync(owner, 'utf8')).pid;
      } catch {
        // being written this instant, or left half-made: decided on the next try
        return false;
      }
      if (isAlive(pid)) return false;
      rmSync(lock, { recursive: true, force: true }); // its owner died: take it over
      return take();
    }
    writeFileSync(owner, JSON.stringify({ pid: process.pid, started: new Date().toISOString() }));
    return true;
  };
  const release = () => rmSync(lock, { recursive: true, force: true });
  if (take()) return release;
  if (!quiet) process.stdout.write(`[native-backend] another setup is running in ${nativeDir}; waiting for it (up to ${waitSeconds} s)\n`);
  const deadline = Date.now() + waitSeconds * 1000;
  let halfMade = 0;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    if (take()) return release;
    // A lock directory with no readable owner for 10 s was left by a process killed between mkdir and write.
    halfMade = existsSync(lock) && !existsSync(owner) ? halfMade + 1 : 0;
    if (halfMade > 40) rmSync(lock, { recursive: true, force: true });
    if (Date.now() > deadline) throw new Error(`another setup still holds ${lock} after ${waitSeconds} s; if none is running, delete that folder`);
  }
}


/** Which steps a run with these flags takes, in order: what --plan prints. */
function planSteps(values) {
  const steps = [];
  // --source pypi and --rebuild build even when a binding loads, and never restore a cached build.
  if (!values.rebuild && values.source === 'auto') steps.push('existing', 'cache');
  if (values.source !== 'pypi') steps.push('standard');
  if (values.source !== 'standard') steps.push('pypi');
  return steps;
}

function printPlan(values, variant) {
  const steps = planSteps(values);
  if (values.json) process.stdout.write(`${JSON.stringify({ variant: values.variant, package: variant.npmPackage, wheel: variant.wheel, steps })}\n`);
  else process.stdout.write(`[native-backend] would try, in order: ${steps.join(', ')} (${variant.npmPackage}, ${variant.wheel})\n`);
  return 0;
}

function setUp(values, variant, started) {
  const steps = planSteps(values);
  const log = join(nativeDir, 'logs', `setup-${values.variant}.log`);
  writeFileSync(log, `setup-native-backend ${new Date().toISOString()} ${JSON.stringify(values)}\n`);
  const say = (line) => {
    if (!values.json) process.stdout.write(`[native-backend] ${line}\n`);
    appendFileSync(log, `${line}\n`);
  };
  const finish = (backendOutcome) => {
    const outcome = backendOutcome.ok ? { ...backendOutcome, nativeOps: nativeOps(values.variant, variant, backendOutcome, say, log), signalGuard: signalGuard(say, log) } : backendOutcome;
    const result = { variant: values.variant, ...outcome, seconds: Math.round((Date.now() - started) / 100) / 10, log };
    if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else if (outcome.ok) say(`ready: ${variant.npmPackage} on TensorFlow ${outcome.tensorflow} (${outcome.source})${outcome.nativeOps ? `, native ops ${outcome.nativeOps.join(', ')}` : ''}${outcome.signalGuard ? ', signal guard' : ''} in ${result.seconds} s`);
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
  if (steps.includes('existing')) {
    const current = probe(variant.npmPackage, log);
    if (current.ok) return finish({ ...current, source: 'existing' });
  }

  // 2. A cached PyPI build for exactly this tfjs-node, TensorFlow, platform: restore it (npm ci wipes node_modules).
  if (steps.includes('cache') && existsSync(join(cacheDir, 'tfjs_binding.node'))) {
    const tensorflowDir = libraryDir(values.variant);
    if (existsSync(join(tensorflowDir, 'libtensorflow_cc.so.2'))) {
      say(`restoring the cached build ${key}`);
      layOutDeps(packageDir, tensorflowDir);
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
  if (steps.includes('standard')) {
    say(`trying the standard install of ${variant.npmPackage} (downloads libtensorflow from Google storage)`);
    const script = packageJson.scripts?.install;
    const standardRun = spawnSync('sh', ['-c', script], { cwd: packageDir, encoding: 'utf8', timeout: 2 * MINUTE });
    appendFileSync(log, `${standardRun.stdout ?? ''}${standardRun.stderr ?? ''}`);
    const standard = standardRun.status === 0 ? probe(variant.npmPackage, log) : { ok: false, reason: lastLine(standardRun.stderr) || `exit ${standardRun.status}` };
    if (standard.ok) return finish({ ...standard, source: 'standard' });
    failures.push(`standard install: ${standard.reason}`);
    say(`standard install failed: ${standard.reason}`);
    removeBuild(packageDir, bindingPath);
  }

  // 4. The PyPI wheel's C library, and tfjs-node's binding built against it.
  if (steps.includes('pypi')) {
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

/**
 * The ops of examples/backend/native for the CPU variant on the pinned TensorFlow (whose headers the
 * PyPI wheel ships): names of the ops, or null with the reason said. Optional: never fails the setup.
 */
function nativeOps(name, variant, outcome, say, log) {
  if (name !== 'cpu') return null; // CPU kernels: on a GPU build they would copy every activation to the host
  if (outcome.tensorflow !== TENSORFLOW_VERSION) {
    say(`no native ops: they are built against TensorFlow ${TENSORFLOW_VERSION}'s headers, and this backend runs ${outcome.tensorflow}`);
    return null;
  }
  const built = buildNativeOps({ root, tensorflowDir: libraryDir(name), npmPackage: variant.npmPackage, say, log });
  if (!built.ok) {
    say(`no native ops (${built.reason}); the examples use tfjs ops for GELU instead (slower)`);
    return null;
  }
  return built.ops;
}

/** The signal guard (examples/backend/native/signal_guard.c) for any variant: true, or false with the reason said. */
function signalGuard(say, log) {
  const built = buildSignalGuard({ root, say, log });
  if (!built.ok) say(`no signal guard (${built.reason}): a signal handled while TensorFlow computes can corrupt the heap (examples/backend/README.md)`);
  return built.ok;
}

function buildFromWheel({ variant, name, packageDir, packageJson, bindingPath, say, log }) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { ok: false, reason: `the PyPI path supports linux-x64 only, not ${process.platform}-${process.arch}` };
  }
  const libraries = fetchLibraries({ variant, name, say, log });
  if (!libraries.ok) return libraries;
  for (const file of ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2', 'include/tensorflow/c/c_api.h', 'include/tensorflow/c/eager/c_api.h']) {
    if (!existsSync(join(libraries.dir, file))) return { ok: false, reason: `the wheel has no ${file} in ${libraries.dir}` };
  }
  layOutDeps(packageDir, libraries.dir);

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
  const gyp = run(process.execPath, args, { cwd: packageDir, log, timeoutMs: 20 * MINUTE });
  if (!gyp.ok) return { ok: false, reason: `node-gyp failed (${gyp.reason}); a C++ compiler, make and python are needed; see ${log}` };
  return probe(variant.npmPackage, log);
}

/** Where the TensorFlow shared libraries and headers of a variant are kept. */
function libraryDir(name) {
  if (name === 'cpu') return join(nativeDir, `tensorflow-cpu-${TENSORFLOW_VERSION}`);
  const site = sitePackages(join(nativeDir, `venv-gpu-tf${TENSORFLOW_VERSION}`));
  return site ? join(site, 'tensorflow') : join(nativeDir, 'missing-tensorflow');
}

/**
 * The pinned wheel's libraries and headers. cpu: the one wheel, downloaded with
 * its sha256 checked and unpacked (nothing installed). gpu: the same wheel,
 * installed with its [and-cuda] extra into a virtualenv, for the CUDA libraries
 * (those come unpinned from PyPI).
 */
function fetchLibraries({ variant, name, say, log }) {
  const dir = libraryDir(name);
  if (existsSync(join(dir, 'libtensorflow_cc.so.2')) && existsSync(join(dir, 'include'))) return { ok: true, dir };
  const python = process.env.AIRBENCH_PYTHON || 'python3';
  const pip = findPip(python, join(nativeDir, 'venv-tools'), { log, say });
  if (!pip.ok) return pip;
  say(`downloading ${variant.wheel} from PyPI (one wheel, about 270 MB for cpu, sha256-checked)`);
  const wheel = downloadWheel({ python: pip.python, requirement: variant.wheel, hashes: variant.hashes, wheelsDir: join(nativeDir, 'wheels'), log });
  if (!wheel.ok) return wheel;
  if (name === 'cpu') {
    say(`unpacking the libraries and headers of ${wheel.wheel}`);
    const unpacked = extractFromWheel({
      python: pip.python,
      wheel: wheel.wheel,
      prefixes: ['tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2', 'tensorflow/include/'],
      strip: 'tensorflow/',
      target: dir,
      log,
    });
    if (!unpacked.ok) return unpacked;
    rmSync(wheel.wheel, { force: true }); // pip's cache keeps a copy; the unpacked files are what is used
    rmSync(join(nativeDir, `venv-cpu-tf${TENSORFLOW_VERSION}`), { recursive: true, force: true }); // what earlier versions of this script installed
    return { ok: true, dir };
  }
  const venv = ensureVenv(join(nativeDir, `venv-gpu-tf${TENSORFLOW_VERSION}`), { python, log, say });
  if (!venv.ok) return venv;
  say(`installing ${wheel.wheel}[and-cuda] into the virtualenv (the CUDA libraries are several GB)`);
  const installed = run(venv.python, ['-m', 'pip', 'install', '--disable-pip-version-check', `${wheel.wheel}[and-cuda]`], { log, inherit: true, timeoutMs: 60 * MINUTE });
  if (!installed.ok) return { ok: false, reason: `pip install of ${wheel.wheel}[and-cuda] failed (${installed.reason})` };
  return { ok: true, dir: libraryDir(name) };
}

function sitePackages(venvDir) {
  const python = join(venvDir, 'bin', 'python');
  if (!existsSync(python)) return null;
  const result = spawnSync(python, ['-c', "import sysconfig; print(sysconfig.get_paths()['purelib'])"], { encoding: 'utf8', timeout: MINUTE });
  return result.status === 0 ? result.stdout.trim() : null;
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
  const child = spawnSync(process.execPath, ['-e', code], { cwd: root, encoding: 'utf8', timeout: 2 * MINUTE, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } });
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

process.exitCode = await main();
