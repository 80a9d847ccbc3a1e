import { projectConfig } from '../../vitest.shared';

export default projectConfig('airbench-net', { testTimeout: 300_000 });
