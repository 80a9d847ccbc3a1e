import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

// A throw-away PostgreSQL server of this machine's own binaries (the image ships
// PostgreSQL 15), in a temp folder on a free loopback port, trusted for the local
// test user. As root, the server runs as the 'postgres' (or 'nobody') user, since
// PostgreSQL refuses to run as root. Used by the tests' global setup and by
// bench:variance.

function binDir(): string {
  const fromConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const candidates = [
    process.env.AIRBENCH_PG_BINDIR,
    fromConfig.status === 0 ? fromConfig.stdout.trim() : undefined,
    ...(existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort().reverse().map((v) => `/usr/lib/postgresql/${v}/bin`) : []),
  ];
  const found = candidates.find((dir) => dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
  if (!found) {
    throw new Error(
      'run-variance tests need a PostgreSQL server: none found (pg_config --bindir, /usr/lib/postgresql/*/bin). Install it (Debian: apt-get install postgresql) or set AIRBENCH_PG_BINDIR to the folder with initdb and pg_ctl.',
    );
  }
  return found;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts a throw-away PostgreSQL server on a free loopback port; `stop` ends it and deletes its files. */
export async function startPostgres(): Promise<{ url: string; bin: string; stop: () => void }> {
  const bin = binDir();
  const root = mkdtempSync(join(tmpdir(), 'airbench-pg-'));
  const data = join(root, 'data');
  const asRoot = userInfo().uid === 0;
  const user = asRoot ? (spawnSync('id', ['-u', 'postgres']).status === 0 ? 'postgres' : 'nobody') : userInfo().username;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }));
    chownSync(root, uid, gid);
    chmodSync(root, 0o700);
  }
  const run = (tool: string, args: string[]) => {
    const command = asRoot ? ['setpriv', '--reuid', user, '--regid', user, '--init-groups', join(bin, tool), ...args] : [join(bin, tool), ...args];
    const result = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8', cwd: root, timeout: 60_000 });
    if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${result.stderr || result.stdout}`);
  };
  const port = await freePort();
  run('initdb', ['-D', data, '-U', 'airbench', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  run('pg_ctl', ['-D', data, '-l', join(root, 'server.log'), '-w', '-t', '60', '-o', `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`, 'start']);
  const url = `postgres://airbench@127.0.0.1:${port}/postgres`;
  const stop = () => {
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
  return { url, bin, stop };
}
