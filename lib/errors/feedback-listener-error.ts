import { BackpressureError } from './backpressure-error.js';
import type { FeedbackEvent } from '../feedback/feedback-event.js';
import { messageOf } from '../internal/message-of.js';
import { hasBrand } from '../internal/has-brand.js';

/**
 * Reported on `FeedbackBus.errors$` when a listener throws or its promise rejects. The failure is
 * isolated: other listeners, the publisher and the queue never see it.
 *
 * @example
 * ```ts
 * bus.errors$.subscribe((e) => {
 *   if (isFeedbackListenerError(e)) logger.warn({ event: e.event, cause: e.cause }, e.message);
 * });
 * ```
 */
export class FeedbackListenerError extends BackpressureError {
  readonly isFeedbackListenerError = true;
  override name = 'FeedbackListenerError';

  constructor(
    /** The event the listener was handling. */
    readonly event: FeedbackEvent,
    cause: unknown,
    /** `true` when the listener's promise rejected, `false` when it threw synchronously. */
    readonly async: boolean,
  ) {
    super(
      `A feedback listener ${async ? 'rejected' : 'threw'} while handling a '${event.level}' event of ` +
        `'${event.coordinatorId}': ${messageOf(cause)}`,
      { cause },
    );
  }
}

/**
 * Tells whether `error` is a {@link FeedbackListenerError}.
 *
 * @example
 * ```ts
 * if (isFeedbackListenerError(error)) console.warn(error.event.coordinatorId);
 * ```
 */
export function isFeedbackListenerError(error: unknown): error is FeedbackListenerError {
  return hasBrand(error, 'isFeedbackListenerError');
}
