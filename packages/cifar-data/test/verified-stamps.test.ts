import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CIFAR10, fetchCifar10, loadCifar10 } from '../src/index';
import { VerifiedStamps } from '../src/verified-stamps';
import { readVerified } from '../src/verify';

// A copy of the real files (one may be damaged here) and a cache of its own.
const work = mkdtempSync(join(tmpdir(), 'cifar-stamps-'));
const dir = join(work, CIFAR10.folder);
const cache = join(work, 'cache');
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(async () => {
  const source = (await fetchCifar10({ progress: false })).dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const file of CIFAR10.files) copyFileSync(join(source, file.name), join(dir, file.name));
});

/** A fresh record read from the cache, as the next process would read it. */
const check = () => readVerified(dir, CIFAR10, new VerifiedStamps(cache));

describe('files verified once are not hashed again until they change', () => {
  it('hashes every file once, then none', async () => {
    expect(await check()).toMatchObject({ problems: [], hashed: 6 });
    expect(Object.keys(JSON.parse(readFileSync(join(cache, 'verified.json'), 'utf8')))).toHaveLength(6);
    const again = await check();
    expect(again).toMatchObject({ problems: [], hashed: 0 });
    expect(again.contents.size).toBe(6);
    // `rehash` (what `npm run data -- verify` passes) trusts no record.
    expect(await readVerified(dir, CIFAR10, new VerifiedStamps(cache, { rehash: true }))).toMatchObject({ problems: [], hashed: 6 });
  });

  it('hashes a file rewritten in place, even with its old size and modification time, and finds the damage', async () => {
    const path = join(dir, 'data_batch_3.bin');
    const original = readFileSync(path);
    const { atime, mtime } = statSync(path);
    const damaged = Buffer.from(original);
    damaged[5000]! ^= 0x01;
    writeFileSync(path, damaged);
    utimesSync(path, atime, mtime); // what a tool that hides its edits does: the change time still moves
    const result = await check();
    expect(result.hashed).toBe(1);
    expect(result.problems).toEqual([{ file: path, problem: expect.stringMatching(/^corrupted: MD5 [0-9a-f]{32}, expected /) }]);
    await expect(loadCifar10({ dataDir: dir, cacheDir: cache, sources: [] })).rejects.toThrow(/data_batch_3\.bin is corrupted: MD5/);

    writeFileSync(path, original); // repaired: verified again, once
    expect(await check()).toMatchObject({ problems: [], hashed: 1 });
    expect(await check()).toMatchObject({ problems: [], hashed: 0 });
  });

  it('hashes everything again when the record is damaged, and loads as before', async () => {
    writeFileSync(join(cache, 'verified.json'), '{"truncated');
    expect(await check()).toMatchObject({ problems: [], hashed: 6 });
    const data = await loadCifar10({ dataDir: dir, cacheDir: cache, sources: [] });
    expect(data.train.labels[0]).toBe(6);
  });

  it('still loads when the record cannot be written (a read-only cache)', async () => {
    const file = join(work, 'not-a-directory');
    writeFileSync(file, '');
    const result = await readVerified(dir, CIFAR10, new VerifiedStamps(file)); // <file>/verified.json cannot exist
    expect(result).toMatchObject({ problems: [], hashed: 6 });
    expect(existsSync(join(file, 'verified.json'))).toBe(false);
  });
});
