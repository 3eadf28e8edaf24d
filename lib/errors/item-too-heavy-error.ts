import { BackpressureError } from './backpressure-error.js';

/**
 * Refuses an item whose weight (the `weigh` option of a `WriteCoordinator` or `BoundedQueue`) is
 * more than the whole capacity: it could never fit, so waiting or dropping others for it would not
 * help. `submit` and `offer` reject with it (the coordinator counts it in `rejected`); `trySubmit`
 * and `tryOffer` throw it and count nothing, the item staying with the caller.
 *
 * @example
 * ```ts
 * const coordinator = new WriteCoordinator<Buffer>({ sink: uploadChunks, capacity: 1_048_576, weigh: (b) => b.length });
 * await coordinator.submit(Buffer.alloc(2_000_000)).catch((e) => {
 *   if (isItemTooHeavyError(e)) console.log(e.weight, e.capacity); // 2000000 1048576
 * });
 * ```
 */
export class ItemTooHeavyError extends BackpressureError {
  readonly isItemTooHeavyError = true;
  override name = 'ItemTooHeavyError';
  /**
   * Set when this refusal ends a `WriteCoordinator.submitMany` call: how many of the call's items
   * were accepted before it (the rest were not submitted).
   */
  accepted?: number;

  constructor(
    /** The item's weight, as `weigh` returned it. */
    readonly weight: number,
    /** The capacity it had to fit in, in the same units. */
    readonly capacity: number,
  ) {
    super(
      `Item too heavy: expected a weight of at most ${capacity} (the capacity), found ${weight}. ` +
        `Split the item or raise the capacity.`,
    );
  }
}

/**
 * Tells whether `error` is an {@link ItemTooHeavyError}.
 *
 * @example
 * ```ts
 * if (isItemTooHeavyError(error)) await uploadInParts(payload);
 * ```
 */
export function isItemTooHeavyError(error: unknown): error is ItemTooHeavyError {
  return (
    typeof error === 'object' && error !== null && (error as ItemTooHeavyError).isItemTooHeavyError === true
  );
}
