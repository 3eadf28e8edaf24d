import { BehaviorSubject, Subject, type Observable, asyncScheduler, type SchedulerLike } from 'rxjs';
import { Deque } from '../internal/deque.js';
import type { AbortSignalLike } from '../internal/platform-types.js';
import { Admission, RESOLVED } from './admission.js';
import { assertDelayMs, assertInteger, assertOneOf } from '../internal/validate.js';
import { QueueClosedError } from '../errors/queue-closed-error.js';
import { resolveWeigh } from './weight-of.js';

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
export interface BoundedQueueOptions<T = unknown> {
  /** Most items the queue holds (with `weigh`, the most weight); an integer `>= 1`. Required. */
  readonly capacity: number;
  /**
   * Counts capacity by weight instead of by item, as the `size` of a WHATWG `QueuingStrategy` does:
   * `capacity` and `depth$` count the sum of the weights of the items queued (`size` still counts
   * items). Called once per offered item; it must return an integer `>= 0` (a safe integer), or the
   * offer rejects (`tryOffer` throws) with a TypeError / RangeError, and what it throws reaches the
   * caller the same way. An item heavier than `capacity` is refused with `ItemTooHeavyError`,
   * whatever the overflow strategy; a waiting offer is admitted once its weight fits, first come
   * first served; `'drop-oldest'` evicts as many old items as the new one needs.
   * @default undefined (every item weighs 1)
   *
   * @example
   * ```ts
   * const queue = new BoundedQueue<string>({ capacity: 65_536, weigh: (s) => s.length });
   * ```
   */
  readonly weigh?: (item: T) => number;
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
  /** Most items the queue holds; with `weigh`, the most weight. */
  readonly capacity: number;
  /** What a full queue does with a new item. */
  readonly overflow: OverflowStrategy;
  /**
   * The current size (with `weigh`, the weight queued) on subscribe, then every change,
   * synchronously. Completes once the queue is closed and empty.
   */
  readonly depth$: Observable<number>;
  /** Items discarded by a drop strategy. Completes with `depth$`. */
  readonly dropped$: Observable<Dropped<T>>;

  private readonly items: Deque<T>;
  // The weight of each queued item, in order; `null` when every item weighs 1.
  private readonly weights: Deque<number> | null;
  private heldWeight = 0;
  private readonly admission: Admission<T>;
  private isClosed = false;
  private readonly depthSubject = new BehaviorSubject(0);
  private readonly droppedSubject = new Subject<Dropped<T>>();

  constructor(options: BoundedQueueOptions<T>) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`BoundedQueue options must be an object with a capacity, found ${String(options)}`);
    }
    const { capacity, overflow = 'block', scheduler = asyncScheduler, weigh } = options;
    this.capacity = assertInteger('capacity', capacity, 1);
    this.overflow = assertOneOf('overflow', overflow, OVERFLOW_STRATEGIES);
    const checkedWeigh = resolveWeigh<T>(weigh);
    this.items = new Deque<T>(Math.min(capacity, 1024));
    const weights = (this.weights = checkedWeigh === null ? null : new Deque<number>());
    const items = this.items;
    const dropped = this.droppedSubject;
    this.admission = new Admission<T>(this.capacity, this.overflow, scheduler, {
      weigh: checkedWeigh,
      held: () => this.heldWeight,
      store: (item, weight) => {
        items.push(item);
        weights?.push(weight);
        this.heldWeight += weight;
      },
      evictable: () => this.heldWeight,
      evictOldest: () => {
        this.heldWeight -= weights === null ? 1 : (weights.shift() as number);
        return items.shift() as T;
      },
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

  /** The weight queued now: `size` unless the queue weighs its items. */
  get weight(): number {
    return this.heldWeight;
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
   *   the signal's reason on abort; `QueueTimeoutError` after `timeoutMs`; with `weigh`,
   *   `ItemTooHeavyError` for an item heavier than `capacity`, what `weigh` threw, or a
   *   `RangeError` / `TypeError` for a bad weight.
   * @example
   * ```ts
   * await queue.offer(item, { timeoutMs: 1_000, signal: request.signal });
   * ```
   */
  offer(item: T, options?: OfferOptions): Promise<void> {
    if (this.isClosed) return Promise.reject(new QueueClosedError());
    let weight = 1;
    if (this.weights !== null) {
      try {
        weight = this.admission.weightOf(item);
      } catch (error) {
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        return Promise.reject(error);
      }
    }
    if (this.admit(item, weight)) return RESOLVED;
    if (this.overflow !== 'block') return this.admission.overflowed(item, weight, undefined, undefined);
    return this.wait(item, weight, options);
  }

  /**
   * Adds `item` if that needs no waiting: when there is room, or under `'drop-oldest'` by evicting
   * the oldest item to `dropped$`. Otherwise (full, or closed) returns `false` and the item stays
   * with the caller; nothing is reported.
   *
   * @throws with `weigh`: what `weigh` threw, a `RangeError` / `TypeError` for a bad weight, and
   *   `ItemTooHeavyError` for an item heavier than `capacity` (nothing is reported).
   * @example
   * ```ts
   * if (!queue.tryOffer(item)) await queue.offer(item); // fast path, then wait
   * ```
   */
  tryOffer(item: T): boolean {
    if (this.isClosed) return false;
    const weight = this.weights === null ? 1 : this.admission.weightOf(item);
    if (this.admit(item, weight)) return true;
    this.admission.assertCanFit(weight);
    return false;
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
    if (this.weights === null) this.heldWeight -= batch.length;
    else for (let i = 0; i < batch.length; i++) this.heldWeight -= this.weights.shift() as number;
    this.admission.admitWaiting();
    this.depthSubject.next(this.heldWeight);
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

  /** `tryAdmit`, announcing the new depth. */
  private admit(item: T, weight: number): boolean {
    const before = this.heldWeight;
    if (!this.admission.tryAdmit(item, weight)) return false;
    // An eviction under 'drop-oldest' may leave the depth as it was: no change to report.
    if (this.heldWeight !== before) this.depthSubject.next(this.heldWeight);
    return true;
  }

  private wait(item: T, weight: number, options: OfferOptions | undefined): Promise<void> {
    const { signal, timeoutMs } = options ?? {};
    try {
      if (timeoutMs !== undefined) assertDelayMs('timeoutMs', timeoutMs);
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a TypeError or RangeError
      return Promise.reject(error);
    }
    return this.admission.overflowed(item, weight, signal, timeoutMs);
  }

  private completeIfDone(): void {
    if (this.isClosed && this.items.length === 0 && !this.depthSubject.closed) {
      this.depthSubject.complete();
      this.droppedSubject.complete();
    }
  }
}
