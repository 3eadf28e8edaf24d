/**
 * Why a batch went to the dead-letter queue: its retries ran out, its error was not retryable, or
 * the coordinator stopped before it could be written.
 *
 * @example
 * ```ts
 * const alert = (reason: DeadLetterReason) => reason !== 'shutdown';
 * ```
 */
export type DeadLetterReason = 'retries_exhausted' | 'non_retryable' | 'shutdown';

/**
 * One batch that could not be written, with enough context to inspect or resubmit it.
 *
 * @example
 * ```ts
 * const record: DeadLetterRecord<Tick> = {
 *   ts: Date.now(), coordinatorId: 'ticks', reason: 'retries_exhausted',
 *   error: { name: 'Error', message: 'connection refused' }, attempts: 5, items: [tick],
 * };
 * ```
 */
export interface DeadLetterRecord<T> {
  /** When the batch was dead-lettered, in epoch milliseconds. */
  readonly ts: number;
  /** The `id` of the coordinator that gave up on the batch. */
  readonly coordinatorId: string;
  /** Why it was given up. */
  readonly reason: DeadLetterReason;
  /** The last error, reduced to name and message so that the record serialises. */
  readonly error: { readonly name: string; readonly message: string };
  /** Write attempts made (0 for batches never tried, as at a stop without drain). */
  readonly attempts: number;
  /** The items of the batch, in their original order. */
  readonly items: readonly T[];
}

/**
 * Where a coordinator puts batches it cannot write. `put` may be synchronous or return a promise;
 * if it throws or rejects, the coordinator reports that on `errors$` and keeps the record in memory.
 *
 * @example
 * ```ts
 * const toLog: DeadLetterQueue<unknown> = { put: (record) => console.error(JSON.stringify(record)) };
 * ```
 */
export interface DeadLetterQueue<T> {
  /** Stores one record. */
  put(record: DeadLetterRecord<T>): void | PromiseLike<void>;
}

/**
 * Reduces any thrown value to `{ name, message }` for a {@link DeadLetterRecord}: an `Error`'s own
 * name and message; for anything else name `'NonError'` and message `String(value)`.
 *
 * @example
 * ```ts
 * toErrorSummary(new RangeError('bad')); // { name: 'RangeError', message: 'bad' }
 * toErrorSummary('oops'); // { name: 'NonError', message: 'oops' }
 * ```
 */
export function toErrorSummary(error: unknown): { name: string; message: string } {
  if (error instanceof Error || looksLikeError(error)) {
    const { name, message } = error as { name: unknown; message: unknown };
    return {
      name: typeof name === 'string' && name !== '' ? name : 'Error',
      message: typeof message === 'string' ? message : safeString(message ?? ''),
    };
  }
  return { name: 'NonError', message: safeString(error) };
}

function looksLikeError(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { name?: unknown }).name === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    // Objects with a throwing toString, or Object.create(null).
    return Object.prototype.toString.call(value);
  }
}
