import { BackpressureError } from './backpressure-error.js';
import { hasBrand } from '../internal/has-brand.js';

/**
 * Thrown when an item is offered to a queue that was closed, and to offers that were still waiting
 * for room when it closed.
 *
 * @example
 * ```ts
 * queue.close();
 * await queue.offer(tick).catch((e) => isQueueClosedError(e)); // true
 * ```
 */
export class QueueClosedError extends BackpressureError {
  readonly isQueueClosedError = true;
  override name = 'QueueClosedError';

  constructor(message = 'Queue is closed: expected an open queue, found one that was closed.') {
    super(message);
  }
}

/**
 * Tells whether `error` is a {@link QueueClosedError}.
 *
 * @example
 * ```ts
 * if (isQueueClosedError(error)) return; // shutting down
 * ```
 */
export function isQueueClosedError(error: unknown): error is QueueClosedError {
  return hasBrand(error, 'isQueueClosedError');
}
