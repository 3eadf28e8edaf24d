import { BackpressureError } from './backpressure-error.js';
import { hasBrand } from '../internal/has-brand.js';

/**
 * Thrown by `start()` (and so by the first `submit` of an auto-started coordinator, as a
 * rejection) when another coordinator with the same `id` is live (started and not stopped) on the
 * same bus: their events would overwrite each other's level on that bus. Give each coordinator its
 * own `id`, or leave `id` out to get a unique one (`'default'`, `'default-2'`, ...).
 *
 * @example
 * ```ts
 * try {
 *   coordinator.start();
 * } catch (error) {
 *   if (isDuplicateCoordinatorIdError(error)) console.error(`id '${error.coordinatorId}' is taken`);
 *   throw error;
 * }
 * ```
 */
export class DuplicateCoordinatorIdError extends BackpressureError {
  /** Brand checked by {@link isDuplicateCoordinatorIdError}. */
  readonly isDuplicateCoordinatorIdError = true;
  override name = 'DuplicateCoordinatorIdError';

  constructor(
    /** The id that is already taken on the bus. */
    readonly coordinatorId: string,
  ) {
    super(
      `Coordinator id '${coordinatorId}' is taken: expected an id no live coordinator on this bus uses, found a started coordinator with the same id (stop it first, or pick another id).`,
    );
  }
}

/**
 * Tells whether `error` is a {@link DuplicateCoordinatorIdError}.
 *
 * @example
 * ```ts
 * if (isDuplicateCoordinatorIdError(error)) process.exitCode = 1;
 * ```
 */
export function isDuplicateCoordinatorIdError(error: unknown): error is DuplicateCoordinatorIdError {
  return hasBrand(error, 'isDuplicateCoordinatorIdError');
}
