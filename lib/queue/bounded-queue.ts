import { BehaviorSubject, Subject, type Observable, asyncScheduler, type SchedulerLike } from 'rxjs';
import { Deque } from '../internal/deque.js';
import type { AbortSignalLike } from '../internal/platform-types.js';
import { Admission, RESOLVED } from './admission.js';
import { assertDelayMs, assertInteger, assertOneOf } from '../internal/validate.js';
import { QueueClosedError } from '../errors/queue-closed-error.js';

/**
 * What a full queue does with a new item:
 * - `'block'`: the offer waits for room, first come first served (lossless, bounded by capacity
 *   plus the waiting callers);
 * - `'reject'`: the offer fails with `QueueFullError` (the caller keeps the item);
 * - `'drop-oldest'`: the oldest queued item is evicted to `dropped$` and the new one enqueued;
 * - `'drop-newest'`: the new item goes to `dropped$`.
 *
 * @example
 * ```ts
 * const strategy: OverflowStrategy = 'drop-oldest'; // latest values matter most (telemetry)
 * ```
 */
export type OverflowStrategy = 'block' | 'reject' | 'drop-oldest' | 'drop-newest';

/**
 * All overflow strategies, for validation and docs.
 *
 * @example
 * ```ts
 * const strategy = OVERFLOW_STRATEGIES.includes(input as OverflowStrategy) ? input : 'block';
 * ```
 */
export const OVERFLOW_STRATEGIES: readonly OverflowStrategy[] = Object.freeze([
  'block',
  'reject',
  'drop-oldest',
  'drop-newest',
]);

/**
 * An item a drop strategy discarded, reported on `dropped$`.
 *
 * @example
 * ```ts
 * queue.dropped$.subscribe(({ item, reason }) => log.warn({ item, reason }, 'dropped'));
 * ```
 */
export interface Dropped<T> {
  readonly item: T;
  readonly reason: 'overflow';
}

/**
 * Options of {@link BoundedQueue}.
 *
 * @example
 * ```ts
 * const options: BoundedQueueOptions = { capacity: 1_000, overflow: 'drop-oldest' };
 * const queue = new BoundedQueue<Reading>(options);
 * ```
 */
export interface BoundedQueueOptions {
  /** Most items the queue holds; an integer `>= 1`. Required. */
  readonly capacity: number;
  /** What a full queue does with a new item. @default 'block' */
  readonly overflow?: OverflowStrategy;
  /** Runs offer timeouts; pass a `TestScheduler` to control time in tests. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}

/**
 * Options of {@link BoundedQueue.offer}.
 *
 * @example
 * ```ts
 * const options: OfferOptions = { timeoutMs: 500, signal: AbortSignal.timeout(2_000) };
 * await queue.offer(item, options);
 * ```
 */
export interface OfferOptions {
  /** Aborting it withdraws a waiting offer, which rejects with the signal's reason. */
  readonly signal?: AbortSignalLike;
  /** Longest wait for room, in ms, before rejecting with `QueueTimeoutError`. @default unlimited */
  readonly timeoutMs?: number;
}

/**
 * A FIFO queue with a fixed capacity and a chosen {@link OverflowStrategy}, whose depth is an
 * Observable. Producers `offer`; consumers `poll` (no waiting: they are told of new items by
 * `depth$`). Lossless under `'block'` and `'reject'`; the drop strategies report every discarded
 * item on `dropped$`. Memory is bounded by `capacity` (plus waiting offers under `'block'`).
 *
 * @example
 * ```ts
 * const queue = new BoundedQueue<string>({ capacity: 100 });
 * queue.depth$.pipe(toBackpressureLevel(queue.capacity)).subscribe((level) => console.log(level));
 * await queue.offer('a');                // waits while the queue is full
 * const batch = queue.poll(50);          // ['a']
 * ```
 */
export class BoundedQueue<T> {
  /** Most items the queue holds. */
  readonly capacity: number;
  /** What a full queue does with a new item. */
  readonly overflow: OverflowStrategy;
  /**
   * The current size on subscribe, then every change, synchronously. Completes once the queue is
   * closed and empty.
   */
  readonly depth$: Observable<number>;
  /** Items discarded by a drop strategy. Completes with `depth$`. */
  readonly dropped$: Observable<Dropped<T>>;

  private readonly items: Deque<T>;
  private readonly admission: Admission<T>;
  private isClosed = false;
  private readonly depthSubject = new BehaviorSubject(0);
  private readonly droppedSubject = new Subject<Dropped<T>>();

  constructor(options: BoundedQueueOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`BoundedQueue options must be an object with a capacity, found ${String(options)}`);
    }
    const { capacity, overflow = 'block', scheduler = asyncScheduler } = options;
    this.capacity = assertInteger('capacity', capacity, 1);
    this.overflow = assertOneOf('overflow', overflow, OVERFLOW_STRATEGIES);
    this.items = new Deque<T>(Math.min(capacity, 1024));
    const items = this.items;
    const dropped = this.droppedSubject;
    this.admission = new Admission<T>(this.capacity, this.overflow, scheduler, {
      held: () => items.length,
      store: (item) => items.push(item),
      canEvict: () => items.length > 0,
      evictOldest: () => items.shift() as T,
      dropped: (item) => dropped.next({ item, reason: 'overflow' }),
      refused: () => undefined,
    });
    this.depth$ = this.depthSubject.asObservable();
    this.dropped$ = this.droppedSubject.asObservable();
  }

  /** Items queued now. */
  get size(): number {
    return this.items.length;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Offers waiting for room (only under `'block'`). */
  get waitingOffers(): number {
    return this.admission.waiting;
  }

  /**
   * Adds `item` according to the overflow strategy. Resolves once the item is queued (or, under
   * a drop strategy, once it or the evicted item was reported on `dropped$`).
   *
   * @throws (rejects) `QueueClosedError` after {@link close}; `QueueFullError` under `'reject'`;
   *   the signal's reason on abort; `QueueTimeoutError` after `timeoutMs`.
   * @example
   * ```ts
   * await queue.offer(item, { timeoutMs: 1_000, signal: request.signal });
   * ```
   */
  offer(item: T, options?: OfferOptions): Promise<void> {
    if (this.isClosed) return Promise.reject(new QueueClosedError());
    if (this.tryOffer(item)) return RESOLVED;
    if (this.overflow !== 'block') return this.admission.overflowed(item, undefined, undefined);
    return this.wait(item, options);
  }

  /**
   * Adds `item` if that needs no waiting: when there is room, or under `'drop-oldest'` by evicting
   * the oldest item to `dropped$`. Otherwise (full, or closed) returns `false` and the item stays
   * with the caller; nothing is reported.
   *
   * @example
   * ```ts
   * if (!queue.tryOffer(item)) await queue.offer(item); // fast path, then wait
   * ```
   */
  tryOffer(item: T): boolean {
    if (this.isClosed) return false;
    const size = this.items.length;
    if (!this.admission.tryAdmit(item)) return false;
    // An eviction under 'drop-oldest' leaves the size as it was: no depth change to report.
    if (this.items.length !== size) this.depthSubject.next(this.items.length);
    return true;
  }

  /**
   * Removes and returns up to `max` items, oldest first, without waiting. Freed room goes to
   * waiting offers in the order they arrived.
   *
   * @throws RangeError when `max` is not an integer `>= 1`.
   * @example
   * ```ts
   * queue.depth$.pipe(filter((n) => n > 0)).subscribe(() => write(queue.poll(100)));
   * ```
   */
  poll(max: number): T[] {
    assertInteger('max', max, 1);
    if (this.items.length === 0) return [];
    const batch = this.items.take(max);
    this.admission.admitWaiting();
    this.depthSubject.next(this.items.length);
    this.completeIfDone();
    return batch;
  }

  /**
   * Refuses new items from now on and rejects waiting offers with `QueueClosedError`. Items already
   * queued stay for `poll`; `depth$` completes once they are gone. Idempotent.
   *
   * @example
   * ```ts
   * queue.close();
   * while (queue.size > 0) await write(queue.poll(100));
   * ```
   */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.admission.refuseWaiting(() => new QueueClosedError());
    this.completeIfDone();
  }

  private wait(item: T, options: OfferOptions | undefined): Promise<void> {
    const { signal, timeoutMs } = options ?? {};
    try {
      if (timeoutMs !== undefined) assertDelayMs('timeoutMs', timeoutMs);
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a TypeError or RangeError
      return Promise.reject(error);
    }
    return this.admission.overflowed(item, signal, timeoutMs);
  }

  private completeIfDone(): void {
    if (this.isClosed && this.items.length === 0 && !this.depthSubject.closed) {
      this.depthSubject.complete();
      this.droppedSubject.complete();
    }
  }
}
