const marker = Symbol.for('airbench-ts.error');

/**
 * Base of every error thrown by an `@airbench-ts` package. Each package declares
 * it for itself (no package imports another). Every class carries a `Symbol.for`
 * marker of its own (vercel/ai's pattern): `X.isInstance(error)` recognises an X from
 * any copy of any of our packages, where `instanceof` fails across duplicate
 * installs, and is false for every other class (a `DownloadError` is no
 * `InvalidArgumentError`). Classes of the same name in two packages share a marker.
 */
export class AirbenchError extends Error {
  readonly [marker] = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AirbenchError';
  }

  static isInstance(error: unknown): error is AirbenchError {
    return AirbenchError.hasMarker(error, marker);
  }

  /** Whether `error` carries `symbol`: the test behind every class's `isInstance`. */
  protected static hasMarker(error: unknown, symbol: symbol): boolean {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[symbol] === true;
  }
}

const invalidArgumentErrorMarker = Symbol.for('airbench-ts.error.InvalidArgumentError');

/** An argument was out of its documented range; `argument` names it. */
export class InvalidArgumentError extends AirbenchError {
  readonly [invalidArgumentErrorMarker] = true;

  constructor(
    readonly argument: string,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidArgumentError';
  }

  static override isInstance(error: unknown): error is InvalidArgumentError {
    return AirbenchError.hasMarker(error, invalidArgumentErrorMarker);
  }
}
