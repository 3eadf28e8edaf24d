import { BackpressureError } from './backpressure-error.js';
import { hasBrand } from '../internal/has-brand.js';

/**
 * A sink's write took longer than the coordinator's `writeTimeoutMs`: its signal was aborted and the
 * attempt failed with this error. Always retryable (a slow sink is a temporary condition).
 *
 * @example
 * ```ts
 * coordinator.errors$.subscribe((e) => {
 *   if (isWriteTimeoutError(e)) console.warn(`write exceeded ${e.timeoutMs} ms`);
 * });
 * ```
 */
export class WriteTimeoutError extends BackpressureError {
  /** Brand checked by {@link isWriteTimeoutError}. */
  readonly isWriteTimeoutError = true;
  /** Read by the default `isRetryable` classifier: a timed-out write may be tried again. */
  readonly retryable = true;
  override name = 'WriteTimeoutError';

  constructor(
    /** The time limit the write exceeded, in milliseconds. */
    readonly timeoutMs: number,
  ) {
    super(`Write timed out: expected the sink to finish within ${timeoutMs} ms, found it still running.`);
  }
}

/**
 * Tells whether `error` is a {@link WriteTimeoutError}.
 *
 * @example
 * ```ts
 * if (isWriteTimeoutError(error)) metrics.increment('write_timeout');
 * ```
 */
export function isWriteTimeoutError(error: unknown): error is WriteTimeoutError {
  return hasBrand(error, 'isWriteTimeoutError');
}
