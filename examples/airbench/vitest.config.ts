import { projectConfig } from '../../vitest.shared';

export default projectConfig('example-airbench', { testTimeout: 600_000 });
