// The architectures the REPAIR study (examples/repair) and the flip ablation
// (examples/flip-ablation) train: each a repair RepairModel plus a neuron-align
// permutation spec and how it is trained (model.ts), on one screen per file.
export { airbench94 } from './airbench';
export { batchNorm, relu } from './layers';
export { mlp } from './mlp';
export type { EndpointCheckpoint, ExampleModel, Recipe, Training } from './model';
export { decodeEndpointState, encodeEndpointState, ENDPOINT_STATE_FORMAT, type EndpointState } from './endpoint-state';
export { resnet20 } from './resnet20';
export { trainEndpoint, triangular } from './train';
export { vgg11 } from './vgg';
