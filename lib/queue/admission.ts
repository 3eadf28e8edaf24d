import type { SchedulerLike, Subscription } from 'rxjs';
import { WaitingLine } from '../internal/waiting-line.js';
import { QueueFullError } from '../errors/queue-full-error.js';
import { ItemTooHeavyError } from '../errors/item-too-heavy-error.js';
import { weightOf } from './weight-of.js';
import type { OverflowStrategy } from './bounded-queue.js';

/** Shared by every admission that needs no waiting: no promise is allocated per item. */
export const RESOLVED: Promise<void> = Promise.resolve();

/** Marks a place in the line taken by a `ready` call, which brings no item. */
const READY = Symbol('ready');
type Entry<T> = T | typeof READY;

/**
 * @internal What an {@link Admission} admits into: a `BoundedQueue`'s items, a coordinator's batch
 * queue. The admission decides; the target stores, evicts and reports. Room is counted in weight:
 * the sum of the items' weights, each 1 unless the owner weighs its items.
 *
 * @example
 * ```ts
 * const items: number[] = [];
 * const target: AdmissionTarget<number> = {
 *   held: () => items.length,
 *   store: (item) => items.push(item),
 *   evictable: () => items.length,
 *   evictOldest: () => items.shift()!,
 *   dropped: (item) => log(item),
 *   refused: () => undefined,
 * };
 * ```
 */
export interface AdmissionTarget<T> {
  /** The owner's `weigh` option; absent or `null` when every item weighs 1. */
  readonly weigh?: ((item: T) => number) | null;
  /** The weight of everything that counts against capacity now. */
  held(): number;
  /** Takes an admitted item of the given weight. */
  store(item: T, weight: number): void;
  /**
   * The weight `'drop-oldest'` could free by evicting (in-flight items cannot be taken back): 0
   * when there is nothing to evict.
   */
  evictable(): number;
  /** Removes and returns the oldest evictable item; `held()` drops by its weight. */
  evictOldest(): T;
  /** A drop strategy discarded `item`; `newcomer` when it is the item just offered (never stored). */
  dropped(item: T, newcomer: boolean): void;
  /** An offer was refused: full under `'reject'`, aborted, timed out, or withdrawn by `refuseWaiting`. */
  refused(): void;
  /**
   * An offer did not fit (it waits, is refused or dropped): a batching owner may write what it
   * holds sooner rather than wait for a full batch. Only called when items are weighed.
   */
  full?(): void;
  /**
   * Room held for resolved `ready` calls was given back because their callers did not claim it
   * by the scheduler's next tick: the owner should `admitWaiting()` and announce the depth.
   */
  roomReleased?(): void;
}

/**
 * @internal Admission into a bounded store: the capacity test, the four overflow strategies and
 * the first-come-first-served line of offers waiting for room under `'block'`. Shared by
 * `BoundedQueue` and `WriteCoordinator`, which differ only in what counts as held.
 *
 * Capacity is counted in weight. Without `weigh` every item weighs 1 and the owner passes 1 without
 * calling anything (the test `held + weight <= capacity` is then `held < capacity`). With `weigh`
 * the owner asks {@link weightOf} once per item and passes that weight to every call for the item;
 * a waiting offer is admitted once its own weight fits, in arrival order, so a heavy offer at the
 * head of the line is not overtaken by light ones behind it.
 *
 * @example
 * ```ts
 * const admission = new Admission<number>(100, 'block', asyncScheduler, admissionTarget); // an AdmissionTarget<number>
 * const item = 42;
 * if (!admission.tryAdmit(item, 1)) await admission.overflowed(item, 1, signal, timeoutMs);
 * admission.admitWaiting(); // after room was freed
 * ```
 */
export class Admission<T> {
  /** The owner's `weigh` option; `null` when every item weighs 1. */
  readonly weigh: ((item: T) => number) | null;
  private readonly waiters: WaitingLine<Entry<T>>;
  // Room held for `ready` calls resolved after waiting, until their caller claims it (`claim`) or
  // the scheduler's next tick: without it an offer blocked behind them in the line could take the
  // room between the resolution and the caller's continuation.
  private reserved = 0;
  private reservedTimer: Subscription | null = null;

  constructor(
    readonly capacity: number,
    readonly overflow: OverflowStrategy,
    private readonly scheduler: SchedulerLike,
    private readonly target: AdmissionTarget<T>,
  ) {
    this.weigh = target.weigh ?? null;
    // A withdrawn `ready` held no item: nothing was refused.
    this.waiters = new WaitingLine<Entry<T>>(scheduler, (waiter) => {
      if (waiter.item !== READY) target.refused();
    });
  }

  /** Offers waiting for room. */
  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * The checked weight of `item` under `weigh` (call only when `weigh` is set).
   *
   * @throws what `weigh` throws; TypeError / RangeError for a weight that is not an integer `>= 0`.
   */
  weightOf(item: T): number {
    return weightOf(this.weigh!, item);
  }

  /**
   * Admits `item` if that needs no waiting: when its weight fits and nobody waits (a newcomer may
   * not overtake waiting offers), or under `'drop-oldest'` by evicting the oldest evictable items
   * until it fits (only if evicting can make it fit). Otherwise returns `false`, reports nothing,
   * and the item stays with the caller.
   */
  tryAdmit(item: T, weight: number): boolean {
    const target = this.target;
    const held = target.held();
    if (held + this.reserved + weight <= this.capacity && this.waiters.length === 0) {
      target.store(item, weight);
      return true;
    }
    if (this.overflow === 'drop-oldest' && held - target.evictable() + weight <= this.capacity) {
      // Without weights one eviction makes room; the evicted are reported once the newcomer is in,
      // so that a `dropped$` subscriber that submits again finds the state settled.
      const evicted = target.evictOldest();
      let more: T[] | null = null;
      while (target.held() + weight > this.capacity) (more ??= []).push(target.evictOldest());
      target.store(item, weight);
      target.dropped(evicted, false);
      if (more !== null) for (const other of more) target.dropped(other, false);
      return true;
    }
    return false;
  }

  /**
   * The weight that offers may add now, given `held`, without waiting and without overtaking
   * anyone: the capacity left after `held` and the room held for resolved `ready` calls, or 0
   * while anyone waits.
   */
  freeRoom(held: number): number {
    return this.waiters.length > 0 ? 0 : this.capacity - held - this.reserved;
  }

  /**
   * `tryAdmit`, or else the room held for a resolved {@link ready}: the caller of `trySubmit` after
   * `await ready()` was told it could come in.
   *
   * @throws ItemTooHeavyError (counting nothing) when `weight` is more than the capacity.
   */
  claim(item: T, weight: number): boolean {
    if (this.tryAdmit(item, weight)) return true;
    if (this.reserved > 0 && this.target.held() + weight <= this.capacity) {
      this.reserved = Math.max(0, this.reserved - weight);
      this.target.store(item, weight);
      return true;
    }
    this.assertCanFit(weight);
    return false;
  }

  /** @throws ItemTooHeavyError (counting nothing) when `weight` is more than the whole capacity. */
  assertCanFit(weight: number): void {
    if (weight > this.capacity) throw new ItemTooHeavyError(weight, this.capacity);
  }

  /** Whether the overflow strategy refuses or waits (rather than drops) when full. */
  get refusesWhenFull(): boolean {
    return this.overflow === 'block' || this.overflow === 'reject';
  }

  /**
   * Resolves once `claim` would admit an item of `weight`: at once if it would now, otherwise in
   * arrival order with waiting offers, holding the room it was resolved for (see `claim`). Under a
   * drop strategy an item is always taken: at once. Rejects with the signal's reason on abort, with
   * `QueueTimeoutError` after `timeoutMs`, and with `ItemTooHeavyError` for a weight more than the
   * capacity, counting nothing.
   */
  ready(signal: AbortSignal | undefined, timeoutMs: number | undefined, weight = 1): Promise<void> {
    if (
      !this.refusesWhenFull ||
      (this.target.held() + this.reserved + weight <= this.capacity && this.waiters.length === 0)
    ) {
      return RESOLVED;
    }
    if (weight > this.capacity) return Promise.reject(new ItemTooHeavyError(weight, this.capacity));
    // The caller chose the abort reason; pass it through unchanged, as fetch does.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    if (signal?.aborted) return Promise.reject(signal.reason);
    return this.waiters.join(READY, signal, timeoutMs, weight);
  }

  /**
   * After `tryAdmit` said no: refuses an item heavier than the capacity with `ItemTooHeavyError`
   * (whatever the strategy: it could never fit), otherwise applies the overflow strategy.
   */
  overflowed(
    item: T,
    weight: number,
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
  ): Promise<void> {
    if (weight > this.capacity) return this.refuse(new ItemTooHeavyError(weight, this.capacity));
    if (this.weigh !== null) this.target.full?.();
    switch (this.overflow) {
      case 'reject':
        return this.refuse(
          new QueueFullError(this.capacity, this.target.held(), this.weigh === null ? undefined : weight),
        );
      case 'drop-newest':
      case 'drop-oldest':
        // drop-oldest gets here only when evicting cannot make room: the newest item is dropped.
        this.target.dropped(item, true);
        return RESOLVED;
      default:
        if (signal?.aborted) return this.refuse(signal.reason);
        return this.waiters.join(item, signal, timeoutMs, weight);
    }
  }

  /** `tryAdmit`, then the overflow strategy. */
  offer(item: T, weight: number, signal?: AbortSignal, timeoutMs?: number): Promise<void> {
    return this.tryAdmit(item, weight) ? RESOLVED : this.overflowed(item, weight, signal, timeoutMs);
  }

  /**
   * Moves waiting offers into freed room and resolves waiting `ready` calls, in arrival order: each
   * once its own weight fits, the head of the line first (nobody behind it overtakes it).
   */
  admitWaiting(): void {
    const target = this.target;
    let next: ReturnType<WaitingLine<Entry<T>>['peek']>;
    while (
      (next = this.waiters.peek()) !== undefined &&
      target.held() + this.reserved + next.weight <= this.capacity
    ) {
      const waiter = this.waiters.admitNext()!;
      if (waiter.item === READY) {
        this.reserved += waiter.weight;
        this.reservedTimer ??= this.scheduler.schedule(() => this.releaseReserved(), 0);
      } else {
        target.store(waiter.item, waiter.weight);
      }
      waiter.resolve();
    }
    // The head of the line does not fit: the owner may write what it holds sooner.
    if (next !== undefined && this.weigh !== null) target.full?.();
  }

  /** Refuses every waiting offer (and `ready` call), each rejecting with `error()`; holds no room. */
  refuseWaiting(error: () => unknown): void {
    this.waiters.withdrawAll(error);
    this.reservedTimer?.unsubscribe();
    this.reservedTimer = null;
    this.reserved = 0;
  }

  /** Room held for resolved `ready` calls whose callers did not come back goes to the next in line. */
  private releaseReserved(): void {
    this.reservedTimer = null;
    if (this.reserved === 0) return;
    this.reserved = 0;
    this.target.roomReleased?.();
  }

  private refuse(error: unknown): Promise<void> {
    this.target.refused();
    // The caller chose the abort reason; pass it through unchanged, as fetch does.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    return Promise.reject(error);
  }
}
