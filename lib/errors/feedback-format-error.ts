import { BackpressureError } from './backpressure-error.js';
import { hasBrand } from '../internal/has-brand.js';

/**
 * Thrown by `fromWire` (and by the event constructors) when a feedback event is malformed. `field`
 * names the offending field, in the wire's snake_case when the input came from the wire.
 *
 * @example
 * ```ts
 * try {
 *   fromWire(JSON.parse(body));
 * } catch (e) {
 *   if (isFeedbackFormatError(e)) respond(400, e.message); // "Invalid feedback event: field "level" ..."
 * }
 * ```
 */
export class FeedbackFormatError extends BackpressureError {
  readonly isFeedbackFormatError = true;
  override name = 'FeedbackFormatError';

  constructor(
    /** The field that is wrong, or `''` when the whole value is. */
    readonly field: string,
    /** What was expected and what was found. */
    readonly detail: string,
  ) {
    super(`Invalid feedback event: ${field ? `field "${field}" ` : ''}${detail}`);
  }
}

/**
 * Tells whether `error` is a {@link FeedbackFormatError}.
 *
 * @example
 * ```ts
 * if (isFeedbackFormatError(error)) console.warn(error.field);
 * ```
 */
export function isFeedbackFormatError(error: unknown): error is FeedbackFormatError {
  return hasBrand(error, 'isFeedbackFormatError');
}
