// Builds examples/backend/native/airbench_ops.cc: TensorFlow ops that TensorFlow lacks (an exact
// GELU with its slope, in one pass), registered at run time through TensorFlow's C kernel API.
// An optional speed-up, never a requirement: any failure here leaves the examples on tfjs ops.
//
// Built for this CPU (-march=native: Eigen's erf and exp in AVX-512 where the CPU has it) into
// .native/ops/, with a manifest naming the CPU it was built for; examples/backend loads it only on
// that CPU (native-ops.ts). Rebuilt when the source, TensorFlow, the compiler or the CPU changes.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const OPS_FILE = 'airbench_ops.node';

// Tried in order; the first that compiles wins. gcc 12 with -march=native on a CPU with AVX512-FP16
// enables Eigen's FP16 packet code, which the wheel's Eigen does not compile with (checked on
// TensorFlow 2.21's headers); older compilers do not know -mno-avx512fp16 and take the second set.
const FLAG_SETS = [['-march=native', '-mno-avx512fp16'], ['-march=native'], ['-mavx2', '-mfma'], []];

/** The CPU's feature flags (Linux), the part of the key that says which machine code runs here. */
export function cpuSignature() {
  try {
    const flags = /^flags\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
    return createHash('sha256').update(flags.trim()).digest('hex').slice(0, 16);
  } catch {
    return 'unknown';
  }
}

/**
 * Builds (or reuses) the ops library against the TensorFlow at `tensorflowDir` (libraries and
 * headers, as the PyPI wheel lays them out), then loads it with tfjs-node in a child process and
 * checks GELU's values. Returns { ok, ops, path, reused } or { ok: false, reason }.
 */
export function buildNativeOps({ root, tensorflowDir, npmPackage, say, log }) {
  const source = join(root, 'examples', 'backend', 'native', 'airbench_ops.cc');
  const outDir = join(root, '.native', 'ops');
  const output = join(outDir, OPS_FILE);
  const manifestPath = join(outDir, 'manifest.json');
  const include = join(tensorflowDir, 'include');
  if (!existsSync(join(include, 'tensorflow', 'c', 'kernels.h')) || !existsSync(join(include, 'Eigen', 'Core'))) {
    return { ok: false, reason: `no TensorFlow C++ headers in ${include} (only the PyPI build has them)` };
  }
  const nodeInclude = join(resolve(dirname(process.execPath), '..'), 'include', 'node');
  if (!existsSync(join(nodeInclude, 'node_api.h'))) return { ok: false, reason: `no node_api.h in ${nodeInclude}` };
  const compiler = process.env.CXX || 'c++';
  const version = spawnSync(compiler, ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) return { ok: false, reason: `no C++ compiler (${compiler})` };
  const key = createHash('sha256')
    .update([readFileSync(source, 'utf8'), readFileSync(join(include, 'tensorflow', 'c', 'kernels.h'), 'utf8'), version.stdout, cpuSignature()].join('\0'))
    .digest('hex')
    .slice(0, 16);

  const manifest = readJson(manifestPath);
  if (manifest?.key === key && existsSync(output)) {
    const checked = checkOps(root, npmPackage, output, log);
    if (checked.ok) return { ...checked, path: output, reused: true };
  }
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const started = Date.now();
  let compiled = null;
  for (const flags of FLAG_SETS) {
    const args = ['-std=c++17', '-O3', ...flags, '-fPIC', '-shared', '-DNODE_GYP_MODULE_NAME=airbench_ops', `-I${nodeInclude}`, `-I${include}`, source, '-o', output, `-L${tensorflowDir}`, '-l:libtensorflow_framework.so.2', `-Wl,-rpath,${tensorflowDir}`];
    const result = spawnSync(compiler, args, { encoding: 'utf8', timeout: 5 * 60_000 });
    appendFileSync(log, `$ ${compiler} ${args.join(' ')}\nexit ${result.status}\n${(result.stderr ?? '').slice(-4000)}\n`);
    if (result.status === 0) {
      compiled = flags;
      break;
    }
  }
  if (!compiled) return { ok: false, reason: `${compiler} could not build ${source}; see ${log}` };
  const checked = checkOps(root, npmPackage, output, log);
  if (!checked.ok) {
    rmSync(outDir, { recursive: true, force: true });
    return checked;
  }
  writeFileSync(manifestPath, `${JSON.stringify({ key, cpu: cpuSignature(), flags: compiled, ops: checked.ops, builtAt: new Date().toISOString() }, null, 2)}\n`);
  say(`built the native ops (${checked.ops.join(', ')}) with ${compiled.join(' ') || 'default flags'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { ...checked, path: output, reused: false };
}

/** Loads tfjs-node and the ops in a child process (a crash there cannot take this one down) and checks GELU at 1, −3, 0. */
function checkOps(root, npmPackage, output, log) {
  const code = `
    const tf = require(${JSON.stringify(npmPackage)});
    const ops = require(${JSON.stringify(output)}).register();
    const backend = tf.backend();
    const x = tf.tensor1d([1, -3, 0]);
    const [y, slope] = backend.binding.executeOp('AirbenchGeluWithSlope', [], backend.getInputTensorIds([x]), 2).map((m) => backend.createOutputTensor(m));
    process.stdout.write(JSON.stringify({ ops, y: Array.from(y.dataSync()), slope: Array.from(slope.dataSync()) }));
  `;
  const child = spawnSync(process.execPath, ['-e', code], { cwd: root, encoding: 'utf8', timeout: 2 * 60_000, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } });
  appendFileSync(log, `check native ops: status ${child.status} signal ${child.signal}\n${child.stdout}\n${child.stderr}\n`);
  if (child.status !== 0) return { ok: false, reason: child.signal ? `loading the native ops crashed (${child.signal})` : `loading the native ops failed (exit ${child.status}); see ${log}` };
  try {
    const { ops, y, slope } = JSON.parse(child.stdout.trim().split('\n').pop());
    // gelu(1) = Φ(1) = 0.8413447, gelu(−3) = −3·Φ(−3) = −0.0040497; slope(1) = Φ(1) + φ(1) = 1.0833155, slope(0) = 0.5.
    const expected = { y: [0.8413447, -0.0040497, 0], slope: [1.0833155, -0.0119456, 0.5] };
    const close = (a, b) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) < 1e-6);
    if (!close(y, expected.y) || !close(slope, expected.slope)) return { ok: false, reason: `the native GELU gave wrong values ${JSON.stringify({ y, slope })}` };
    return { ok: true, ops };
  } catch {
    return { ok: false, reason: `unexpected output ${child.stdout.slice(0, 200)}` };
  }
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}
