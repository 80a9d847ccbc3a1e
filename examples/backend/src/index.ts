export { BACKEND_CHOICES, nativeBinding, parseBackendChoice, selectBackend } from './select-backend';
export type { BackendChoice, BackendInfo } from './select-backend';
