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

const datasetFileErrorMarker = Symbol.for('airbench-ts.error.DatasetFileError');

/** A dataset file is missing, truncated, corrupted or holds values out of range. */
export class DatasetFileError extends AirbenchError {
  readonly [datasetFileErrorMarker] = true;

  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DatasetFileError';
  }

  static override isInstance(error: unknown): error is DatasetFileError {
    return AirbenchError.hasMarker(error, datasetFileErrorMarker);
  }
}

const downloadErrorMarker = Symbol.for('airbench-ts.error.DownloadError');

/** A download did not complete: no answer, stalled, cut short or refused; `url` names it. */
export class DownloadError extends AirbenchError {
  readonly [downloadErrorMarker] = true;

  constructor(
    readonly url: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DownloadError';
  }

  static override isInstance(error: unknown): error is DownloadError {
    return AirbenchError.hasMarker(error, downloadErrorMarker);
  }
}

/** One place the loader looked for a dataset, and why it was not used. */
export interface SourceAttempt {
  source: string;
  reason: string;
}

const datasetUnavailableErrorMarker = Symbol.for('airbench-ts.error.DatasetUnavailableError');

/** No source could supply a verified copy of the dataset; `attempts` says what was tried. */
export class DatasetUnavailableError extends AirbenchError {
  readonly [datasetUnavailableErrorMarker] = true;

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

  static override isInstance(error: unknown): error is DatasetUnavailableError {
    return AirbenchError.hasMarker(error, datasetUnavailableErrorMarker);
  }
}
