import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.config.base';

// bin.ts is the CLI (`cifar-data`); tsup keeps its shebang.
export default defineConfig(packageBuild({ index: 'src/index.ts', bin: 'src/bin.ts' }));
