import { projectConfig } from '../../vitest.shared';

export default projectConfig('example-repair', { testTimeout: 120_000 }, { data: true });
