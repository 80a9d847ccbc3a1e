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

/** The store cannot be used: a malformed or unreachable URL, or another schema version; `url` names it. */
export class StoreError extends AirbenchError {
  constructor(
    readonly url: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreError';
  }
}

/** An experiment name already holds another config or other labels. */
export class ExperimentConflictError extends AirbenchError {
  constructor(
    readonly experiment: string,
    message: string,
  ) {
    super(message);
    this.name = 'ExperimentConflictError';
  }
}
