import { BackpressureError } from './backpressure-error.js';
import { hasBrand } from '../internal/has-brand.js';

/**
 * Thrown by a queue (or coordinator) with the `'reject'` overflow strategy when it has no room.
 *
 * @example
 * ```ts
 * const queue = new BoundedQueue<number>({ capacity: 1, overflow: 'reject' });
 * queue.tryOffer(1);
 * await queue.offer(2).catch((e) => isQueueFullError(e) && console.log(e.capacity, e.size)); // 1 1
 * ```
 */
export class QueueFullError extends BackpressureError {
  readonly isQueueFullError = true;
  override name = 'QueueFullError';
  /**
   * Set when this refusal ends a `WriteCoordinator.submitMany` call: how many of the call's items
   * were accepted before it (the rest were not submitted).
   */
  accepted?: number;

  constructor(
    /** The capacity of the queue that refused (in weight units when it weighs its items). */
    readonly capacity: number,
    /** How many items it held when it refused; with `weigh`, the weight it held. */
    readonly size: number,
    /** With `weigh`: the weight of the refused item, which did not fit in `capacity - size`. */
    readonly weight?: number,
  ) {
    super(
      weight === undefined
        ? `Queue is full: expected fewer than ${capacity} items to accept a new one, found ${size}.`
        : `Queue is full: expected room for an item of weight ${weight} (at most ${capacity - weight} held of capacity ${capacity}), found ${size} held.`,
    );
  }
}

/**
 * Tells whether `error` is a {@link QueueFullError}.
 *
 * @example
 * ```ts
 * if (isQueueFullError(error)) retryLater(item);
 * ```
 */
export function isQueueFullError(error: unknown): error is QueueFullError {
  return hasBrand(error, 'isQueueFullError');
}
