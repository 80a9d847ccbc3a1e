// A worker process: node --import tsx worker.ts <store-url> <experiment>. Claims
// runs of the experiment from the store and trains them until none are left.
// Started by `npm run variance -- run|worker --workers N`, one per child.
import type { VarianceConfig } from './experiment';
import { runAirbench } from '@airbench-ts-example/harness/run-airbench';
import { runWorker } from '@airbench-ts-example/harness/work';

// Live lease renewals between training steps; a run here takes seconds to minutes.
await runWorker<VarianceConfig>((config, seeds, backend, context) => runAirbench({ ...config, backend }, seeds, context), { leaseSeconds: 300, heartbeatSeconds: 30 });
