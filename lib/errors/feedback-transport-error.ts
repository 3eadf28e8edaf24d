import { BackpressureError } from './backpressure-error.js';
import { hasBrand } from '../internal/has-brand.js';

/**
 * What a feedback transport was doing when it failed: storing and notifying an envelope
 * (`'publish'`), reading the latest envelopes (`'snapshot'`), keeping its subscription alive
 * (`'listen'`), or decoding a message it received (`'message'`).
 *
 * @example
 * ```ts
 * const operation: FeedbackTransportOperation = 'publish';
 * ```
 */
export type FeedbackTransportOperation = 'publish' | 'snapshot' | 'listen' | 'message';

/**
 * Reported (never thrown into a coordinator) when carrying feedback across processes fails: a
 * Redis or NATS command that failed, a connection error, a message that is not a feedback
 * envelope. `cause` holds the client's own error.
 *
 * @example
 * ```ts
 * publishFeedback(coordinator.feedback$, transport, {
 *   onError: (e) => { if (isFeedbackTransportError(e)) console.warn(e.operation, e.message); },
 * });
 * ```
 */
export class FeedbackTransportError extends BackpressureError {
  readonly isFeedbackTransportError = true;
  override name = 'FeedbackTransportError';

  constructor(
    /** What the transport was doing. */
    readonly operation: FeedbackTransportOperation,
    /** What was expected and what was found (or what failed). */
    detail: string,
    cause?: unknown,
  ) {
    super(`Feedback transport ${operation} failed: ${detail}`, { cause });
  }
}

/**
 * Tells whether `error` is a {@link FeedbackTransportError}.
 *
 * @example
 * ```ts
 * if (isFeedbackTransportError(error)) metrics.increment(`feedback_${error.operation}_errors`);
 * ```
 */
export function isFeedbackTransportError(error: unknown): error is FeedbackTransportError {
  return hasBrand(error, 'isFeedbackTransportError');
}

/** @internal Wraps anything a client threw or rejected with, keeping a library error as it is. */
export function toTransportError(
  operation: FeedbackTransportOperation,
  error: unknown,
): FeedbackTransportError {
  if (isFeedbackTransportError(error)) return error;
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new FeedbackTransportError(operation, detail, error);
}
