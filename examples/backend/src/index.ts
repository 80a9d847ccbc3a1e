export { BACKEND_CHOICES, nativeBinding, parseBackendChoice, selectBackend } from './select-backend';
export type { BackendChoice, BackendInfo } from './select-backend';
export { cpuIsa, enableOneDnn, hasNativeBf16 } from './cpu';
export type { CpuIsa, OneDnnState } from './cpu';
export { backendOption } from './backend-option';
