import type { DeadLetterReason } from '../dead-letter/dead-letter-record.js';

/**
 * One batch outcome, emitted on a coordinator's `writes$`, for metrics and logs.
 *
 * @example
 * ```ts
 * coordinator.writes$.subscribe((w: WriteRecord) => {
 *   histogram.observe(w.durationMs);
 *   if (w.outcome === 'dead-lettered') log.warn(w, 'batch dead-lettered');
 * });
 * ```
 */
export interface WriteRecord {
  /** The coordinator's `id`. */
  readonly coordinatorId: string;
  /** Items in the batch. */
  readonly size: number;
  /** Write attempts made (0 for a batch dead-lettered at stop before any attempt). */
  readonly attempts: number;
  /** From the moment a worker took the batch to its outcome, in ms (0 when it was never taken). */
  readonly durationMs: number;
  /** Whether the batch was stored or given to the dead-letter queue. */
  readonly outcome: 'written' | 'dead-lettered';
  /** Why it was dead-lettered; absent when written. */
  readonly reason?: DeadLetterReason;
  /**
   * Most writes running at once when the outcome was known: the fixed `workers`, or the adaptive
   * limit then in force.
   */
  readonly concurrencyLimit: number;
}
