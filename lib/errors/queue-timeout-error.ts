import { BackpressureError } from './backpressure-error.js';
import { hasBrand } from '../internal/has-brand.js';

/**
 * Thrown when an offer waiting for room under the `'block'` strategy exceeds its `timeoutMs`.
 *
 * @example
 * ```ts
 * await queue.offer(item, { timeoutMs: 100 }).catch((e) => isQueueTimeoutError(e) && e.timeoutMs); // 100
 * ```
 */
export class QueueTimeoutError extends BackpressureError {
  readonly isQueueTimeoutError = true;
  override name = 'QueueTimeoutError';
  /**
   * Set when this refusal ends a `WriteCoordinator.submitMany` call: how many of the call's items
   * were accepted before it (the rest were not submitted).
   */
  accepted?: number;

  constructor(
    /** How long the offer waited, in milliseconds. */
    readonly timeoutMs: number,
  ) {
    super(`Timed out waiting for room in the queue: expected room within ${timeoutMs} ms, found none.`);
  }
}

/**
 * Tells whether `error` is a {@link QueueTimeoutError}.
 *
 * @example
 * ```ts
 * if (isQueueTimeoutError(error)) metrics.increment('offer_timeout');
 * ```
 */
export function isQueueTimeoutError(error: unknown): error is QueueTimeoutError {
  return hasBrand(error, 'isQueueTimeoutError');
}
