import { projectConfig } from '../../vitest.shared';

export default projectConfig('repair', { testTimeout: 120_000 }, { data: true, threads: true });
