export { BACKEND_CHOICES, nativeBinding, parseBackendChoice, selectBackend } from './select-backend';
export type { BackendChoice, BackendInfo } from './select-backend';
export { cpuIsa, cpuSignature, enableOneDnn, hasNativeBf16 } from './cpu';
export { loadNativeOps } from './native-ops';
export type { NativeOpsState } from './native-ops';
export type { CpuIsa, OneDnnState } from './cpu';
export { backendOption } from './backend-option';
export { EMULATED_BF16_SLOWDOWN, emulatedBf16Reason } from './emulated-bf16';
