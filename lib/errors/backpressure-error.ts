import { hasBrand } from '../internal/has-brand.js';

/**
 * Base class of every error this library throws on purpose. Catch it to tell the library's own
 * refusals (a full queue, a closed coordinator, a malformed event) from failures of your code.
 *
 * @example
 * ```ts
 * try {
 *   await queue.offer(item);
 * } catch (error) {
 *   if (isBackpressureError(error)) console.warn('refused:', error.message);
 *   else throw error;
 * }
 * ```
 */
export class BackpressureError extends Error {
  /** Brand checked by {@link isBackpressureError}; survives duplicated copies of the library. */
  readonly isBackpressureError = true;
  override name = 'BackpressureError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    // Keeps `instanceof` working when the output is down-levelled.
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/**
 * Tells whether `error` is a {@link BackpressureError} (of any subclass).
 *
 * @example
 * ```ts
 * if (isBackpressureError(error)) metrics.increment('refused');
 * ```
 */
export function isBackpressureError(error: unknown): error is BackpressureError {
  return hasBrand(error, 'isBackpressureError');
}
