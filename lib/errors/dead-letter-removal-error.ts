import { hasBrand } from '../internal/has-brand.js';
import { BackpressureError } from './backpressure-error.js';

/**
 * `FileDeadLetterQueue.resubmit` could not remove records its target had accepted: the rewrite of
 * the file failed (`cause` holds the I/O error). Submission stops there; the records stay in the
 * file and the next `resubmit` submits them again (delivery is at least once), so nothing is lost.
 *
 * @example
 * ```ts
 * try {
 *   await deadLetter.resubmit(coordinator);
 * } catch (error) {
 *   if (isDeadLetterRemovalError(error)) console.warn(`${error.stranded} record(s) will be resubmitted`, error.cause);
 *   else throw error;
 * }
 * ```
 */
export class DeadLetterRemovalError extends BackpressureError {
  /** Brand checked by {@link isDeadLetterRemovalError}. */
  readonly isDeadLetterRemovalError = true;
  override name = 'DeadLetterRemovalError';

  constructor(
    /** The dead-letter file. */
    readonly path: string,
    /** Records accepted by the target that are still in the file. */
    readonly stranded: number,
    /** Records accepted by the target in the whole call. */
    readonly accepted: number,
    /** Records whose submission failed in the whole call. */
    readonly failed: number,
    cause: unknown,
  ) {
    super(
      `${path}: ${stranded} record(s) accepted by the resubmit target could not be removed from the file; they stay in it and will be submitted again (${accepted} accepted in all, ${failed} failed)`,
      { cause },
    );
  }
}

/**
 * Tells whether `error` is a {@link DeadLetterRemovalError}.
 *
 * @example
 * ```ts
 * if (isDeadLetterRemovalError(error)) metrics.increment('dead_letter_removal_failed');
 * ```
 */
export function isDeadLetterRemovalError(error: unknown): error is DeadLetterRemovalError {
  return hasBrand(error, 'isDeadLetterRemovalError');
}
