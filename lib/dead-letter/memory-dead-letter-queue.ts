import { assertInteger } from '../internal/validate.js';
import type { DeadLetterQueue, DeadLetterRecord } from './dead-letter-record.js';

/**
 * A dead-letter queue in memory, the coordinator's default. Lossless and unbounded on purpose:
 * it never discards a record, so memory grows with every batch that could not be written until you
 * {@link MemoryDeadLetterQueue.replay | replay} them. Watch `size`, and use a durable queue (such as
 * `FileDeadLetterQueue` from `rxjs-backpressure/node`) where records must outlive the process.
 *
 * @example
 * ```ts
 * const deadLetter = new MemoryDeadLetterQueue<Tick>();
 * const coordinator = new WriteCoordinator({ sink, deadLetter });
 * // later, once the sink is healthy again:
 * for (const record of deadLetter.replay()) await coordinator.submitMany(record.items);
 * ```
 */
export class MemoryDeadLetterQueue<T> implements DeadLetterQueue<T> {
  private readonly stored: DeadLetterRecord<T>[] = [];

  /**
   * Stores `record` (synchronously; never fails).
   *
   * @example
   * ```ts
   * const deadLetter = new MemoryDeadLetterQueue<Tick>();
   * deadLetter.put({ ts: Date.now(), coordinatorId: 'a', reason: 'shutdown', error, attempts: 0, items });
   * ```
   */
  put(record: DeadLetterRecord<T>): void {
    this.stored.push(record);
  }

  /**
   * The stored records, oldest first (a snapshot: later puts do not change it).
   *
   * @example
   * ```ts
   * const deadLetter = new MemoryDeadLetterQueue<Tick>();
   * deadLetter.records.filter((r) => r.reason === 'non_retryable');
   * ```
   */
  get records(): readonly DeadLetterRecord<T>[] {
    return this.stored.slice();
  }

  /**
   * How many records are stored.
   *
   * @example
   * ```ts
   * const deadLetter = new MemoryDeadLetterQueue<Tick>();
   * if (deadLetter.size > 0) console.warn(`${deadLetter.size} batches dead-lettered`);
   * ```
   */
  get size(): number {
    return this.stored.length;
  }

  /**
   * Removes and returns the oldest `max` records (all of them when `max` is omitted), for
   * resubmission.
   *
   * @throws RangeError unless `max` is an integer `>= 0`.
   * @example
   * ```ts
   * const deadLetter = new MemoryDeadLetterQueue<Tick>();
   * for (const record of deadLetter.replay(10)) await coordinator.submitMany(record.items);
   * ```
   */
  replay(max?: number): DeadLetterRecord<T>[] {
    const count = max === undefined ? this.stored.length : assertInteger('max', max, 0);
    return this.stored.splice(0, count);
  }
}
