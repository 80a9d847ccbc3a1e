// Finds or fetches CIFAR-10 as the tests will read it (vitest.data-setup.ts runs
// this in a child process) and prints where, as one JSON line.
import { fetchCifar10 } from '@airbench-ts/cifar-data';

const location = await fetchCifar10();
process.stdout.write(`${JSON.stringify(location)}\n`);
