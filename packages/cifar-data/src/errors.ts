const marker = Symbol.for('airbench-ts.error');

/**
 * Base of every error thrown by an `@airbench-ts` package. Each package declares
 * it for itself (no package imports another); the shared `Symbol.for` marker lets
 * `AirbenchError.isInstance` recognise errors from any of them, and from duplicate
 * installs, where `instanceof` would fail.
 */
export class AirbenchError extends Error {
  readonly [marker] = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AirbenchError';
  }

  static isInstance(error: unknown): error is AirbenchError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[marker] === true;
  }
}

/** An argument was out of its documented range; `argument` names it. */
export class InvalidArgumentError extends AirbenchError {
  constructor(
    readonly argument: string,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidArgumentError';
  }
}

/** A dataset file is missing, truncated, corrupted or holds values out of range. */
export class DatasetFileError extends AirbenchError {
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DatasetFileError';
  }
}

/** A download did not complete: no answer, stalled, cut short or refused; `url` names it. */
export class DownloadError extends AirbenchError {
  constructor(
    readonly url: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DownloadError';
  }
}

/** One place the loader looked for a dataset, and why it was not used. */
export interface SourceAttempt {
  source: string;
  reason: string;
}

/** No source could supply a verified copy of the dataset; `attempts` says what was tried. */
export class DatasetUnavailableError extends AirbenchError {
  constructor(
    readonly dataset: string,
    readonly attempts: SourceAttempt[],
    advice: string,
  ) {
    super(
      `${dataset} could not be loaded. Tried:\n${attempts.map((a) => `  - ${a.source}: ${a.reason}`).join('\n')}\n${advice}`,
    );
    this.name = 'DatasetUnavailableError';
  }
}
