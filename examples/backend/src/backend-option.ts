import { oneOf, option } from '@airbench-ts-example/cli';
import type { Option } from 'commander';
import { BACKEND_CHOICES } from './select-backend';

/** The --backend flag every CLI of the examples and benches declares. */
export function backendOption(): Option {
  return option(`--backend <${BACKEND_CHOICES.join('|')}>`, 'default auto, or $AIRBENCH_BACKEND', oneOf(BACKEND_CHOICES));
}
