// The options every study CLI on the run-variance harness shares (examples/variance,
// examples/flip-ablation): the command (run, worker or report), the store, the
// experiment, the worker processes, the backend and --json.
import type { Command as CommanderCommand } from 'commander';
import { backendOption } from '@airbench-ts-example/backend';
import { createCommand, integer, matching, option, type CliSpec, type Refusal } from '@airbench-ts-example/cli';

export const STUDY_COMMANDS = ['run', 'worker', 'report'] as const;
export type StudyCommand = (typeof STUDY_COMMANDS)[number];

export interface StudyOptions {
  command: StudyCommand;
  experiment?: string;
  workers: number;
  store: string;
  backend?: string;
  out: string;
  json: boolean;
}

/** A study's command with the shared options; the study adds its own with `addOption` after these. */
export function createStudyCommand(spec: Omit<CliSpec, 'usage'>, defaults: { store: string; out: string; experiment: string }): CommanderCommand {
  return createCommand({ ...spec, usage: '<run|worker|report> [options]' })
    .argument('[command]')
    .addOption(option('--experiment <name>', `${defaults.experiment}; worker: the experiment; report: a comma-separated list (default: every experiment in the store)`, matching(/^[\w.,-]{1,200}$/, "letters, digits, '_', '-', '.' (report: a comma-separated list)")))
    .addOption(option('--workers <w>', 'child processes on this machine', integer(1, 64), 1))
    .addOption(option('--store <url>', 'sqlite:<path> or postgres://user:pw@host:5432/db', matching(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, 'sqlite:<path> or postgres://user:pw@host:5432/db'), defaults.store))
    .addOption(backendOption())
    .addOption(option('--out <dir>', 'report: where the report and plots go', undefined, defaults.out))
    .addOption(option('--json', 'run: one JSON line per finished run; report: the JSON report on stdout'));
}

/** The shared options of a parsed command line, or a refusal of the command word or of worker without --experiment. */
export function finishStudy(values: Record<string, unknown>, args: string[], refuse: (message: string) => Refusal): StudyOptions | Refusal {
  const command = args[0];
  if (!STUDY_COMMANDS.includes(command as StudyCommand)) return refuse(`give one command, run, worker or report${command ? `, not '${args.join(' ')}'` : ''}.`);
  if (command === 'worker' && values.experiment === undefined) return refuse('worker needs --experiment: the name the run command printed.');
  return {
    command: command as StudyCommand,
    workers: values.workers as number,
    store: values.store as string,
    out: values.out as string,
    json: values.json === true,
    ...(values.experiment !== undefined ? { experiment: values.experiment as string } : {}),
    ...(values.backend !== undefined ? { backend: values.backend as string } : {}),
  };
}
