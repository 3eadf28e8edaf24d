import { BackpressureError } from './backpressure-error.js';
import { hasBrand } from '../internal/has-brand.js';

/**
 * Raised by `fromFeedbackEvents` when the server answers in a way that reconnecting cannot fix: an
 * HTTP status other than 2xx, 408, 429 or 5xx, a content type other than `text/event-stream`, or a
 * line or message past the reader's bound (1 MiB), which a stream that never ends its messages
 * would otherwise grow without limit.
 *
 * @example
 * ```ts
 * fromFeedbackEvents(url).subscribe({
 *   error: (e) => { if (isFeedbackStreamError(e)) console.error(e.status, e.message); },
 * });
 * ```
 */
export class FeedbackStreamError extends BackpressureError {
  readonly isFeedbackStreamError = true;
  override name = 'FeedbackStreamError';

  constructor(
    /** The endpoint, without its query string. */
    readonly url: string,
    /** The HTTP status the server answered with, or `null` when none is known. */
    readonly status: number | null,
    /** What was expected and what was found. */
    detail: string,
  ) {
    super(`Feedback event stream ${url} cannot be read: ${detail}.`);
  }
}

/**
 * Tells whether `error` is a {@link FeedbackStreamError}.
 *
 * @example
 * ```ts
 * if (isFeedbackStreamError(error)) showBanner(`live view unavailable (${error.status})`);
 * ```
 */
export function isFeedbackStreamError(error: unknown): error is FeedbackStreamError {
  return hasBrand(error, 'isFeedbackStreamError');
}
