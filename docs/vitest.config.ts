import { projectConfig } from '../vitest.shared';

// The READMEs' code: every ```ts snippet runs as written (test/readme-snippets.test.ts).
export default projectConfig('docs', { testTimeout: 180_000 }, { data: true, heavy: true, tensors: false });
