import { fileURLToPath } from 'node:url';
import { projectConfig } from '../../vitest.shared';

export default projectConfig('example-browser', { testTimeout: 180_000, globalSetup: [fileURLToPath(new URL('./test/chromium-setup.ts', import.meta.url))] }, { data: true, heavy: true });
