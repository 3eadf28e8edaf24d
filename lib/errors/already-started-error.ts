import { hasBrand } from '../internal/has-brand.js';
import { BackpressureError } from './backpressure-error.js';

/**
 * Thrown by `start(source)` on something that is already started on another source: it listens to
 * one source at a time, so `stop()` it first. Starting it again on the same source is allowed (and
 * does nothing).
 *
 * @example
 * ```ts
 * try {
 *   broadcaster.start(otherBus);
 * } catch (error) {
 *   if (!isAlreadyStartedError(error)) throw error;
 *   broadcaster.stop();
 *   broadcaster.start(otherBus);
 * }
 * ```
 */
export class AlreadyStartedError extends BackpressureError {
  /** Brand checked by {@link isAlreadyStartedError}. */
  readonly isAlreadyStartedError = true;
  override name = 'AlreadyStartedError';

  constructor(
    /** What was started, e.g. `'HttpFeedbackBroadcaster'`. */
    readonly subject: string,
  ) {
    super(
      `${subject} is already started on another source: expected it stopped before start() with a new source, found it listening to another (call stop() first)`,
    );
  }
}

/**
 * Tells whether `error` is an {@link AlreadyStartedError}.
 *
 * @example
 * ```ts
 * if (isAlreadyStartedError(error)) console.warn(error.subject, 'is already running');
 * ```
 */
export function isAlreadyStartedError(error: unknown): error is AlreadyStartedError {
  return hasBrand(error, 'isAlreadyStartedError');
}
