// Browser-safe: the airbench wiring and the predictions a run returns.
// Node only: './run-airbench' (one run of a study from its setting and seeds) and
// './work' (the run/worker commands over the run-variance harness).
export { airbenchLoader, type DataSeeds } from './airbench-loader';
export { predictClasses } from './predict';
