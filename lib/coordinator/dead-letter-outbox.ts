import type { SchedulerLike, Subscription } from 'rxjs';
import { CoordinatorClosedError } from '../errors/coordinator-closed-error.js';
import {
  toErrorSummary,
  type DeadLetterQueue,
  type DeadLetterReason,
  type DeadLetterRecord,
} from '../dead-letter/dead-letter-record.js';
import { isPromiseLike } from '../internal/is-promise-like.js';

/**
 * @internal A coordinator's way out to its dead-letter queue: builds each record, hands it to the
 * queue, tracks the puts still in progress, and keeps in memory (`unsaved`) every record the queue
 * failed to store, reporting each failure through `failed`. At stop, puts still pending at the
 * deadline are given up on and their records kept too: nothing dead-lettered is ever lost.
 *
 * @example
 * ```ts
 * const outbox = new DeadLetterOutbox<Row>('rows', new MemoryDeadLetterQueue<Row>(), scheduler, (record, cause) => log(cause));
 * outbox.put(items, 'retries_exhausted', error, 5);
 * await outbox.settle(1_000, 10_000);
 * ```
 */
export class DeadLetterOutbox<T> {
  /** Records the queue failed to store. */
  readonly unsaved: DeadLetterRecord<T>[] = [];
  /** Puts not settled yet, with their records. */
  private readonly pendingPuts = new Map<Promise<void>, DeadLetterRecord<T>>();

  constructor(
    private readonly coordinatorId: string,
    readonly queue: DeadLetterQueue<T>,
    private readonly scheduler: SchedulerLike,
    /** A record the queue failed to store (its put threw or rejected, or was given up on). */
    private readonly failed: (record: DeadLetterRecord<T>, error: unknown) => void,
  ) {}

  /** Puts still in progress. */
  get pending(): number {
    return this.pendingPuts.size;
  }

  /** Hands items to the dead-letter queue as one record. */
  put(items: T[], reason: DeadLetterReason, error: unknown, attempts: number): void {
    const record: DeadLetterRecord<T> = {
      ts: this.scheduler.now(),
      coordinatorId: this.coordinatorId,
      reason,
      error: toErrorSummary(error),
      attempts,
      items,
    };
    let result: void | PromiseLike<void>;
    try {
      result = this.queue.put(record);
    } catch (putError) {
      this.fail(record, putError);
      return;
    }
    if (isPromiseLike(result)) {
      // Promise.resolve adopts hostile thenables too (a throwing `then` becomes a rejection).
      // A put that settles after `settle` gave up on it is no longer tracked: ignored.
      const tracked: Promise<void> = Promise.resolve(result).then(
        () => {
          this.pendingPuts.delete(tracked);
        },
        (putError: unknown) => {
          if (this.pendingPuts.delete(tracked)) this.fail(record, putError);
        },
      );
      this.pendingPuts.set(tracked, record);
    }
  }

  /**
   * Waits up to `remainingMs` for the puts in progress; records whose put has not settled then are
   * kept in `unsaved` and reported as failures, so that a put that never settles loses nothing.
   * `timeoutMs` is the stop timeout named in that failure. A 0 ms wait still lets puts that settle
   * in microtasks in.
   */
  async settle(remainingMs: number, timeoutMs: number): Promise<void> {
    if (this.pendingPuts.size === 0) return;
    let timer: Subscription | undefined;
    await Promise.race([
      Promise.allSettled(this.pendingPuts.keys()),
      new Promise<void>((resolve) => {
        timer = this.scheduler.schedule(() => resolve(), remainingMs);
      }),
    ]);
    timer?.unsubscribe();
    if (this.pendingPuts.size > 0) this.abandon(timeoutMs);
  }

  private abandon(timeoutMs: number): void {
    const records = [...this.pendingPuts.values()];
    this.pendingPuts.clear();
    const id = this.coordinatorId;
    for (const record of records) {
      this.fail(
        record,
        new CoordinatorClosedError(
          id,
          `Coordinator '${id}' stopped before its dead-letter queue stored a record: expected put to settle within stop's timeout (${timeoutMs} ms), found it still pending; the record is kept in unsavedDeadLetters.`,
        ),
      );
    }
  }

  private fail(record: DeadLetterRecord<T>, error: unknown): void {
    this.unsaved.push(record);
    this.failed(record, error);
  }
}
