import { BackpressureError } from './backpressure-error.js';
import { hasBrand } from '../internal/has-brand.js';

/**
 * Thrown (or used as the rejection) when a coordinator refuses work because it is stopping or
 * stopped: a `submit` after `stop`, a `submit` still waiting for room when `stop` was called,
 * `start()` after `stop`. It is also the abort reason a sink's signal carries when `stop` gives up
 * on a write, the error of dead-letter records with reason `'shutdown'`, and the error reported on
 * `errors$` for a dead-letter record whose `put` was still pending at `stop`'s deadline. A
 * `submitMany` refused with it finds `accepted` (items of that call accepted before) set on it.
 *
 * @example
 * ```ts
 * await coordinator.stop();
 * await coordinator.submit(item).catch((e) => isCoordinatorClosedError(e)); // true
 * ```
 */
export class CoordinatorClosedError extends BackpressureError {
  /** Brand checked by {@link isCoordinatorClosedError}. */
  readonly isCoordinatorClosedError = true;
  override name = 'CoordinatorClosedError';
  /**
   * Set when this refusal ends a `WriteCoordinator.submitMany` call: how many of the call's items
   * were accepted before it (the rest were not submitted).
   */
  accepted?: number;

  constructor(
    /** The `id` of the coordinator that refused. */
    readonly coordinatorId: string,
    message = `Coordinator '${coordinatorId}' is closed: expected a coordinator that was not stopped, found one that was stopping or stopped.`,
  ) {
    super(message);
  }
}

/**
 * Tells whether `error` is a {@link CoordinatorClosedError}.
 *
 * @example
 * ```ts
 * try {
 *   await coordinator.submit(item);
 * } catch (error) {
 *   if (isCoordinatorClosedError(error)) return; // shutting down: drop the item on purpose
 *   throw error;
 * }
 * ```
 */
export function isCoordinatorClosedError(error: unknown): error is CoordinatorClosedError {
  return hasBrand(error, 'isCoordinatorClosedError');
}
