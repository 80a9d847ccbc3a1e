import { projectConfig } from '../../vitest.shared';

export default projectConfig('example-airbench', { testTimeout: 120_000 }, { data: true, heavy: true });
