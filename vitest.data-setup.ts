import { fetchCifar10, type DatasetLocation } from '@airbench-ts/cifar-data';

// Global setup of every project whose tests read CIFAR-10: find it, or fetch it
// into the cache, once per `vitest run` and before any test file starts, the way
// a user's code does ($CIFAR10_DIR, else the cache, else the network; see
// @airbench-ts/cifar-data). The tests then call loadCifar10() with no options and
// get the same copy. Projects' global setups share this process, so one promise
// on globalThis makes concurrent projects wait for the same fetch.
const key = Symbol.for('airbench-ts.test-data');

export default async function setup(): Promise<void> {
  const shared = globalThis as { [key]?: Promise<DatasetLocation> };
  shared[key] ??= (async () => {
    const started = performance.now();
    const location = await fetchCifar10();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stderr.write(`[test data] CIFAR-10 from the ${location.source}: ${location.dir} (${seconds} s)\n`);
    return location;
  })();
  await shared[key];
}
