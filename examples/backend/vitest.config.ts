import { projectConfig } from '../../vitest.shared';

export default projectConfig('example-backend', { testTimeout: 120_000 });
