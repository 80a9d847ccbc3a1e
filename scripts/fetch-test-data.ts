// Finds or fetches CIFAR-10 as the tests will read it (vitest.data-setup.ts and
// scripts/test.mjs run this in a child process) and prints where, as one JSON line.
import { fetchCifar10 } from '@airbench-ts/cifar-data';

try {
  const location = await fetchCifar10();
  process.stdout.write(`${JSON.stringify(location)}\n`);
} catch (error) {
  // cifar-data's errors name the file or the sources tried and what to do: the message is the report.
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
