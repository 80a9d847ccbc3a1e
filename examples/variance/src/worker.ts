// A worker process: node --import tsx worker.ts <store-url> <experiment>. Claims
// runs of the experiment from the store and trains them until none are left.
// Started by `npm run variance -- run|worker --workers N`, one per child.
import { selectBackend } from '@airbench-ts-example/backend';
import { openStore, workOn } from '@airbench-ts/run-variance';
import type { VarianceConfig } from './experiment';
import { runOne } from './run-one';

const [url, name] = process.argv.slice(2);
const store = await openStore(url!);
const experiment = await store.getExperiment(name!);
const config = experiment.config as VarianceConfig;
const backend = await selectBackend({ log: () => {} });
const controller = new AbortController();
// on, not once: a terminal's Ctrl-C reaches this process and the parent, which forwards it again.
process.on('SIGINT', () => controller.abort(new Error('interrupted')));
try {
  await workOn({
    store,
    experiment,
    signal: controller.signal,
    run: (seeds, { signal }) => runOne({ ...config, backend: backend.name }, seeds, signal),
    // Live lease renewals between training steps; a run here takes seconds to minutes.
    leaseSeconds: 300,
    heartbeatSeconds: 30,
  });
} finally {
  await store.close();
}
