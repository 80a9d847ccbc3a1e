// A worker process: node --import tsx worker.ts <store-url> <experiment>. Claims
// runs of the experiment from the store and trains them until none are left.
// Started by `npm run variance -- run|worker --workers N`, one per child.
import type { VarianceConfig } from './experiment';
import { runOne } from './run-one';
import { runWorker } from './work';

// Live lease renewals between training steps; a run here takes seconds to minutes.
await runWorker<VarianceConfig>((config, seeds, backend, context) => runOne({ ...config, backend }, seeds, context), { leaseSeconds: 300, heartbeatSeconds: 30 });
