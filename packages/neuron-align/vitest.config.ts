import { projectConfig } from '../../vitest.shared';

export default projectConfig('neuron-align', { testTimeout: 60_000 }, { threads: true });
