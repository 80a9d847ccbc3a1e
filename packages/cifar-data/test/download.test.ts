import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetFileError, DownloadError } from '../src/index';
import { downloadFile, ensureDownloaded, type DownloadOptions } from '../src/download';

// A real HTTP server on the loopback address, serving the same 64 KiB body in
// four ways: slow but steady, stalled half-way, cut short, and never answering.
const body = Buffer.from(Array.from({ length: 65_536 }, (_, i) => (i * 7919) % 251));
const md5 = createHash('md5').update(body).digest('hex');
const sockets = new Set<import('node:net').Socket>();
let server: Server;
let base: string;
let work: string;
let requests = 0;

function trickle(res: ServerResponse, chunks: number, everyMs: number, then: 'end' | 'stall' | 'cut') {
  const size = body.length / 16;
  let sent = 0;
  const timer = setInterval(() => {
    if (sent === chunks) {
      clearInterval(timer);
      if (then === 'end') res.end();
      if (then === 'cut') res.socket?.destroy();
      return; // 'stall': keep the connection open, send nothing
    }
    res.write(body.subarray(sent * size, (sent + 1) * size));
    sent += 1;
  }, everyMs);
  res.on('close', () => clearInterval(timer));
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'cifar-download-'));
  server = createServer((req, res) => {
    requests += 1;
    if (req.url === '/silent') return; // accepts the connection, never answers
    res.writeHead(200, { 'content-length': String(body.length) });
    if (req.url === '/slow') trickle(res, 16, 60, 'end'); // ~1 s in all, 60 ms between chunks
    if (req.url === '/stalled') trickle(res, 8, 10, 'stall');
    if (req.url === '/truncated') trickle(res, 8, 10, 'cut');
    if (req.url === '/fast') res.end(body);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
  rmSync(work, { recursive: true, force: true });
});

// Both timeouts far below the slow body's total time: only an idle gap may fail a download.
const options: DownloadOptions = { digest: { algorithm: 'md5', value: md5 }, bytes: body.length, progress: false, connectTimeoutMs: 300, idleTimeoutMs: 300 };
const leftovers = () => readdirSync(work).filter((name) => name.endsWith('.part'));

describe('downloadFile', () => {
  it('finishes a slow but steady download that takes longer than both timeouts', async () => {
    const path = join(work, 'slow.bin');
    const started = performance.now();
    await downloadFile(`${base}/slow`, path, options);
    expect(performance.now() - started).toBeGreaterThan(600);
    expect(readFileSync(path).equals(body)).toBe(true);
  });

  it('gives up on a stalled body after the idle timeout, and keeps no partial file', async () => {
    const path = join(work, 'stalled.bin');
    const error = await downloadFile(`${base}/stalled`, path, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect((error as DownloadError).message).toMatch(/stalled: no data for 0\.3 s after 32768 bytes/);
    expect(existsSync(path)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('refuses a body cut short, naming how much arrived', async () => {
    const path = join(work, 'truncated.bin');
    const error = await downloadFile(`${base}/truncated`, path, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect((error as DownloadError).message).toMatch(/(ended after|failed after) 32768/);
    expect(existsSync(path)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('gives up on a server that never answers after the connect timeout', async () => {
    const error = await downloadFile(`${base}/silent`, join(work, 'silent.bin'), options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect((error as DownloadError).message).toMatch(/no response from .*\/silent within 0\.3 s/);
  });

  it('discards a complete body with the wrong digest', async () => {
    const path = join(work, 'wrong.bin');
    const error = await downloadFile(`${base}/fast`, path, { ...options, digest: { algorithm: 'md5', value: '0'.repeat(32) } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetFileError);
    expect(existsSync(path)).toBe(false);
  });
});

describe('ensureDownloaded', () => {
  it('keeps a copy that verifies, and downloads again over a damaged one', async () => {
    const path = join(work, 'kept.bin');
    const before = requests;
    expect(await ensureDownloaded(`${base}/fast`, path, options)).toBe('downloaded');
    expect(await ensureDownloaded(`${base}/fast`, path, options)).toBe('kept');
    expect(requests - before).toBe(1);
    writeFileSync(path, 'damaged');
    expect(await ensureDownloaded(`${base}/fast`, path, options)).toBe('downloaded');
    expect(readFileSync(path).equals(body)).toBe(true);
    // The npm integrity form: sha512 in base64.
    const sha512 = createHash('sha512').update(body).digest('base64');
    expect(await ensureDownloaded(`${base}/fast`, path, { ...options, digest: { algorithm: 'sha512', value: sha512 } })).toBe('kept');
  });
});
