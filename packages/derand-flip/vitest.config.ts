import { projectConfig } from '../../vitest.shared';

export default projectConfig('derand-flip', {}, { threads: true });
