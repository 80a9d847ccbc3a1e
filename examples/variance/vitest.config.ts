import { projectConfig } from '../../vitest.shared';

export default projectConfig('example-variance', { testTimeout: 120_000 }, { data: true, heavy: true, lane: 2, tensors: false });
