import type { SchedulerLike, Subscription } from 'rxjs';
import { Deque } from '../internal/deque.js';

/**
 * @internal The items a coordinator has accepted and not yet handed to a worker: batch taking and
 * the flush deadline with its timer. It wakes a worker (through `wake`) whenever a batch is ready:
 * full, due, or anything at all while flushing everything (`flushAll`, during a draining stop).
 *
 * Flush timing without a clock read per item: a mark (sequence number, time) is taken when the
 * queue turns non-empty and on the first push after each take. Items after a mark are at least as
 * young as it, so the head's deadline `markTime + flushIntervalMs` is never late; it may be up to
 * `flushIntervalMs` early for an item accepted long after its mark (docs/coordinator.md).
 *
 * Weights: `weight` is the sum of the queued items' weights (their count when items are not
 * weighed, at the cost of one addition per item). Weighed items keep their weights in a deque of
 * their own, so that taking a batch knows what it frees (`takenWeight`) without weighing again.
 *
 * @example
 * ```ts
 * const queue = new BatchQueue<number>(500, 250, asyncScheduler, 10_000, () => console.log('a batch is ready'));
 * queue.push(1);
 * const batch = queue.takeBatch(asyncScheduler.now()); // null until 500 items or 250 ms
 * ```
 */
export class BatchQueue<T> {
  /** Write whatever is queued at once, full batches or not (set by a draining stop). */
  flushAll = false;
  /** The weight of the queued items (their count when items are not weighed). */
  weight = 0;
  /** The weight of the items returned by the last `takeBatch` / `take`. */
  takenWeight = 0;

  private readonly items: Deque<T>;
  // The weight of each queued item, in the same order; `null` when every item weighs 1.
  private readonly weights: Deque<number> | null;
  // Set when an offer did not fit (weighed items only): the next batch goes out partial, at once.
  private dueNow = false;
  private seqIn = 0;
  private seqOut = 0;
  private needMark = true;
  private headMarkAt = 0;
  private markSeqs: number[] = [];
  private markTimes: number[] = [];
  private markHead = 0;
  private flushTimer: Subscription | null = null;
  private closed = false;
  // The length at which a push next wakes a worker. Waking on every push past `batchSize` cost a
  // call per item once the queue held a batch, though a sleeping worker only needs waking once per
  // batch: a worker sleeps only after finding less than a batch, so the length reaching `batchSize`
  // (or each further `batchSize`, for the next sleeper) is when one is due. Any removal lowers it
  // back to `batchSize`; 1 (every push) when each item is a batch of its own.
  private wakeAt: number;

  constructor(
    readonly batchSize: number,
    readonly flushIntervalMs: number,
    private readonly scheduler: SchedulerLike,
    initialCapacity: number,
    /** Wakes one idle worker, if any. */
    private readonly wake: () => void,
    /** Whether items carry weights of their own (the `weigh` option). */
    weighted = false,
  ) {
    this.items = new Deque<T>(Math.min(initialCapacity, 1024));
    this.wakeAt = this.firstWake();
    this.weights = weighted ? new Deque<number>(Math.min(initialCapacity, 1024)) : null;
  }

  /** Items queued now. */
  get length(): number {
    return this.items.length;
  }

  /** Queues an item of `weight` (1 when items are not weighed) and wakes a worker when a batch is ready. */
  push(item: T, weight = 1): void {
    const items = this.items;
    if (items.length === 0) {
      this.headMarkAt = this.scheduler.now();
      this.markSeqs.length = 0;
      this.markTimes.length = 0;
      this.markHead = 0;
      this.needMark = false;
      if (this.flushTimer === null && this.flushIntervalMs > 0) this.armFlush(this.flushIntervalMs);
    } else if (this.needMark) {
      this.needMark = false;
      this.markSeqs.push(this.seqIn);
      this.markTimes.push(this.scheduler.now());
    }
    items.push(item);
    this.weight += weight;
    if (this.weights !== null) this.weights.push(weight);
    this.seqIn++;
    if (items.length >= this.wakeAt || this.flushAll) {
      this.wakeAt = items.length + this.firstWake();
      this.wake();
    }
  }

  /** Removes and returns the oldest item (the `'drop-oldest'` eviction). */
  shift(): T {
    this.seqOut++;
    this.wakeAt = this.firstWake();
    this.weight -= this.weights === null ? 1 : (this.weights.shift() as number);
    return this.items.shift() as T;
  }

  /**
   * An offer did not fit by weight: the next batch is taken at once, partial or not, since waiting
   * for `batchSize` items that cannot all fit would only wait for the flush interval.
   */
  flushSoon(): void {
    if (this.items.length === 0 || this.dueNow) return;
    this.dueNow = true;
    this.wake();
  }

  /**
   * A full batch, or a partial one once it is due (or when flushing everything); `null` otherwise,
   * with the flush timer armed for the head's deadline. Wakes another worker when more is ready.
   */
  takeBatch(now: number): T[] | null {
    const items = this.items;
    if (items.length === 0 || this.closed) return null;
    if (items.length < this.batchSize && !this.flushAll && !this.dueNow && this.flushIntervalMs > 0) {
      const deadline = this.headDeadline();
      if (now < deadline) {
        if (this.flushTimer === null) this.armFlush(deadline - now);
        return null;
      }
    }
    const batch = this.take(this.batchSize);
    this.needMark = true;
    if (items.length > 0) {
      if (items.length >= this.batchSize || this.flushAll || this.flushIntervalMs === 0) {
        this.wake();
      } else if (this.flushTimer === null) {
        const delay = this.headDeadline() - now;
        if (delay > 0) this.armFlush(delay);
        else this.wake();
      }
    }
    return batch;
  }

  /** Removes up to `max` items, oldest first, whether due or not (for dead-lettering at stop). */
  take(max: number): T[] {
    const batch = this.items.take(max);
    this.seqOut += batch.length;
    this.wakeAt = this.firstWake();
    this.dueNow = false;
    let taken = batch.length;
    if (this.weights !== null) {
      taken = 0;
      for (let i = 0; i < batch.length; i++) taken += this.weights.shift() as number;
    }
    this.takenWeight = taken;
    this.weight -= taken;
    // Drop the marks of items just taken, so that the marks never outnumber the queued items.
    this.headDeadline();
    return batch;
  }

  /** Stops the flush timer for good (at stop). */
  close(): void {
    this.closed = true;
    this.flushTimer?.unsubscribe();
    this.flushTimer = null;
  }

  /** When the oldest queued item is due (never later than `flushIntervalMs` after its accept). */
  private headDeadline(): number {
    const seqs = this.markSeqs;
    while (this.markHead < seqs.length && seqs[this.markHead]! <= this.seqOut) {
      this.headMarkAt = this.markTimes[this.markHead]!;
      this.markHead++;
    }
    if (this.markHead >= seqs.length) {
      seqs.length = 0;
      this.markTimes.length = 0;
      this.markHead = 0;
    } else if (this.markHead > 1024 && this.markHead * 2 > seqs.length) {
      this.markSeqs = seqs.slice(this.markHead);
      this.markTimes = this.markTimes.slice(this.markHead);
      this.markHead = 0;
    }
    return this.headMarkAt + this.flushIntervalMs;
  }

  /** How many items make a batch worth waking a worker for. */
  private firstWake(): number {
    return this.flushIntervalMs === 0 ? 1 : this.batchSize;
  }

  private armFlush(delay: number): void {
    this.flushTimer = this.scheduler.schedule(() => this.onFlushTimer(), delay);
  }

  private onFlushTimer(): void {
    this.flushTimer = null;
    if (this.items.length === 0 || this.closed) return;
    const delay = this.headDeadline() - this.scheduler.now();
    // Due: wake a worker; if all are busy, the first to finish takes the partial batch.
    if (delay <= 0) this.wake();
    else this.armFlush(delay);
  }
}
