import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fetchCifar10 } from '../src/index';

/**
 * The real CIFAR-10 the tests read: $CIFAR10_DIR, else the shared copy beside the
 * repository (`../shared/cifar10`), else whatever the loader's own chain finds or
 * fetches into the user cache. Never a stand-in.
 */
export async function cifar10Dir(): Promise<string> {
  const shared = fileURLToPath(new URL('../../../../shared/cifar10/cifar-10-batches-bin', import.meta.url));
  const candidate = process.env.CIFAR10_DIR ?? (existsSync(shared) ? shared : undefined);
  const location = await fetchCifar10({ ...(candidate ? { dataDir: candidate } : {}), progress: false });
  return location.dir;
}
