import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.config.base';

// bin.ts is the CLI (`cifar-data`); tsup keeps its shebang. browser.ts is the entry bundlers pick for a browser.
export default defineConfig(packageBuild({ index: 'src/index.ts', browser: 'src/browser.ts', bin: 'src/bin.ts' }));
