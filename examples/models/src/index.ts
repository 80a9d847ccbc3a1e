// The architectures the REPAIR study (examples/repair) and the flip ablation
// (examples/flip-ablation) train: each a repair RepairModel plus a neuron-align
// permutation spec and how it is trained (model.ts), on one screen per file.
export { airbench94 } from './airbench';
export { mlp } from './mlp';
export type { ExampleModel, Recipe, Training } from './model';
export { resnet20 } from './resnet20';
export { trainEndpoint, triangular } from './train';
export { vgg11 } from './vgg';
