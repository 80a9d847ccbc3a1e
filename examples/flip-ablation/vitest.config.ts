import { projectConfig } from '../../vitest.shared';

export default projectConfig('example-flip-ablation', { testTimeout: 180_000 }, { data: true, heavy: true, lane: 2 });
