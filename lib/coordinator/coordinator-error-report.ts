import type { DeadLetterRecord } from '../dead-letter/dead-letter-record.js';

/**
 * A failure a coordinator reports on `errors$` and otherwise survives:
 * - `'write'`: a write attempt failed (it may be retried; the batch outcome comes on `writes$`);
 * - `'dead-letter'`: the dead-letter queue failed to store `record` (kept in memory, see
 *   `unsavedDeadLetters`);
 * - `'classifier'`: the retry policy's `isRetryable` threw (the error is treated as not retryable).
 *
 * @example
 * ```ts
 * coordinator.errors$.subscribe((report: CoordinatorErrorReport) => {
 *   if (report.kind === 'dead-letter') alert(`dead-letter queue failing: ${String(report.error)}`);
 *   else log.warn({ kind: report.kind, err: report.error });
 * });
 * ```
 */
export type CoordinatorErrorReport<T = unknown> =
  | {
      readonly kind: 'write';
      readonly coordinatorId: string;
      readonly error: unknown;
      /** The attempt that failed, 1-based. */
      readonly attempt: number;
      /** Items in the batch. */
      readonly size: number;
    }
  | {
      readonly kind: 'dead-letter';
      readonly coordinatorId: string;
      readonly error: unknown;
      /** The record that could not be stored. */
      readonly record: DeadLetterRecord<T>;
    }
  | {
      readonly kind: 'classifier';
      readonly coordinatorId: string;
      readonly error: unknown;
    };
