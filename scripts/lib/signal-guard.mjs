// Builds examples/backend/native/signal_guard.c, which keeps asynchronous signals off TensorFlow's
// threads (why: the comment at the top of that file, and examples/backend/README.md). It needs only a
// C compiler and Node's headers, not TensorFlow's, so it is built for every variant. Optional: a
// failure leaves the examples without it (the backend line says so), never without a backend.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const GUARD_FILE = 'signal_guard.node';

/** Builds (or reuses) .native/signal-guard/signal_guard.node and checks it in a child process. */
export function buildSignalGuard({ root, say, log }) {
  // The fault is oneDNN's x86-64 JIT code; the check reads Linux's /proc.
  if (process.platform !== 'linux') return { ok: false, reason: 'built on Linux only' };
  const source = join(root, 'examples', 'backend', 'native', 'signal_guard.c');
  const outDir = join(root, '.native', 'signal-guard');
  const output = join(outDir, GUARD_FILE);
  const manifestPath = join(outDir, 'manifest.json');
  const nodeInclude = join(resolve(dirname(process.execPath), '..'), 'include', 'node');
  if (!existsSync(join(nodeInclude, 'node_api.h'))) return { ok: false, reason: `no node_api.h in ${nodeInclude}` };
  const compiler = process.env.CC || 'cc';
  const version = spawnSync(compiler, ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) return { ok: false, reason: `no C compiler (${compiler})` };
  const key = createHash('sha256').update([readFileSync(source, 'utf8'), version.stdout, process.platform, process.arch].join('\0')).digest('hex').slice(0, 16);

  let manifest = null;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch {
    // not built yet
  }
  if (manifest?.key === key && existsSync(output)) {
    const checked = checkGuard(root, output, log);
    if (checked.ok) return { ...checked, path: output, reused: true };
  }
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const args = ['-std=c11', '-O2', '-fPIC', '-shared', '-pthread', `-I${nodeInclude}`, source, '-o', output];
  const result = spawnSync(compiler, args, { encoding: 'utf8', timeout: 2 * 60_000 });
  appendFileSync(log, `$ ${compiler} ${args.join(' ')}\nexit ${result.status}\n${(result.stderr ?? '').slice(-4000)}\n`);
  if (result.status !== 0) return { ok: false, reason: `${compiler} could not build ${source}; see ${log}` };
  const checked = checkGuard(root, output, log);
  if (!checked.ok) {
    rmSync(outDir, { recursive: true, force: true });
    return checked;
  }
  writeFileSync(manifestPath, `${JSON.stringify({ key, builtAt: new Date().toISOString() }, null, 2)}\n`);
  say(`built the signal guard (${checked.signals} signals kept off TensorFlow's threads)`);
  return { ...checked, path: output, reused: false };
}

/**
 * In a child process: blocks the signals, then checks that this thread has SIGINT blocked, that a
 * handled SIGUSR2 still reaches JavaScript, and that a child process starts with nothing blocked.
 */
function checkGuard(root, output, log) {
  const code = `
    const { readFileSync } = require('node:fs');
    const { execFileSync } = require('node:child_process');
    const signals = require(${JSON.stringify(output)}).block();
    const mask = (file) => BigInt('0x' + /SigBlk:\\s*([0-9a-f]+)/.exec(readFileSync(file, 'utf8'))[1]);
    const mainBlocksInt = (mask('/proc/thread-self/status') >> 1n) & 1n; // bit SIGINT - 1
    const child = execFileSync(process.execPath, ['-e', "process.stdout.write(/SigBlk:\\\\s*(\\\\S+)/.exec(require('fs').readFileSync('/proc/self/status','utf8'))[1])"], { encoding: 'utf8' });
    process.on('SIGUSR2', () => {
      process.stdout.write(JSON.stringify({ signals: signals.length, mainBlocksInt: Number(mainBlocksInt), child }));
      process.exit(0);
    });
    process.kill(process.pid, 'SIGUSR2');
    setTimeout(() => process.exit(3), 5000);
  `;
  const child = spawnSync(process.execPath, ['-e', code], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  appendFileSync(log, `check signal guard: status ${child.status} signal ${child.signal}\n${child.stdout}\n${child.stderr}\n`);
  if (child.status !== 0) return { ok: false, reason: child.signal ? `the signal guard's check crashed (${child.signal})` : `the signal guard's check failed (exit ${child.status}: a handled signal did not arrive); see ${log}` };
  try {
    const { signals, mainBlocksInt, child: childMask } = JSON.parse(child.stdout);
    if (mainBlocksInt !== 1) return { ok: false, reason: 'the signal guard left SIGINT unblocked' };
    if (!/^0+$/.test(childMask)) return { ok: false, reason: `a child process started with signals blocked (${childMask})` };
    return { ok: true, signals };
  } catch {
    return { ok: false, reason: `unexpected output ${child.stdout.slice(0, 200)}` };
  }
}
