// A worker process: node --import tsx worker.ts <store-url> <experiment>. Claims
// runs of the ablation from the store and trains them until none are left.
// Started by `npm run flip-ablation -- run|worker --workers N`, one per child.
import { runWorker } from '@airbench-ts-example/harness/work';
import type { AblationConfig } from './experiment';
import { runOne } from './run-one';

// A full-size airbench94 run takes half an hour on 2 cores; renewals come between training steps.
await runWorker<AblationConfig>(runOne, { leaseSeconds: 600, heartbeatSeconds: 60 });
