import { projectConfig } from '../../vitest.shared';

export default projectConfig('cifar-data', { testTimeout: 120_000 }, { data: true, threads: true });
