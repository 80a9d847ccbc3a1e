// `build`'s first step in a process of its own: Vite's ~500 MB of heap go back to the system when it exits, before
// `build` loads CIFAR-10 and TensorFlow (in one process the two peaked at ~840 MB, now at the larger of the two).
//
//   node [the parent's loader flags] vite-build.ts <out>
import { build } from 'vite';
import { viteConfig } from './vite';

await build(viteConfig(process.argv[2]!));
