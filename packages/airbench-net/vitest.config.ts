import { projectConfig } from '../../vitest.shared';

export default projectConfig('airbench-net', { testTimeout: 120_000 }, { data: true, heavy: true });
