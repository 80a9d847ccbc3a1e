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
