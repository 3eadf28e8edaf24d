import type { SchedulerLike, Subscription } from 'rxjs';
import { WaitingLine } from '../internal/waiting-line.js';
import { QueueFullError } from '../errors/queue-full-error.js';
import type { OverflowStrategy } from './bounded-queue.js';

/** Shared by every admission that needs no waiting: no promise is allocated per item. */
export const RESOLVED: Promise<void> = Promise.resolve();

/** Marks a place in the line taken by a `ready` call, which brings no item. */
const READY = Symbol('ready');
type Entry<T> = T | typeof READY;

/**
 * @internal What an {@link Admission} admits into: a `BoundedQueue`'s items, a coordinator's batch
 * queue. The admission decides; the target stores, evicts and reports.
 *
 * @example
 * ```ts
 * const items: number[] = [];
 * const target: AdmissionTarget<number> = {
 *   held: () => items.length,
 *   store: (item) => items.push(item),
 *   canEvict: () => items.length > 0,
 *   evictOldest: () => items.shift()!,
 *   dropped: (item) => log(item),
 *   refused: () => undefined,
 * };
 * ```
 */
export interface AdmissionTarget<T> {
  /** Everything that counts against capacity now. */
  held(): number;
  /** Takes an admitted item. */
  store(item: T): void;
  /** Whether `'drop-oldest'` has something to evict (in-flight items cannot be taken back). */
  canEvict(): boolean;
  /** Removes and returns the oldest evictable item. */
  evictOldest(): T;
  /** A drop strategy discarded `item`; `newcomer` when it is the item just offered (never stored). */
  dropped(item: T, newcomer: boolean): void;
  /** An offer was refused: full under `'reject'`, aborted, timed out, or withdrawn by `refuseWaiting`. */
  refused(): void;
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
 * @example
 * ```ts
 * const admission = new Admission<number>(100, 'block', asyncScheduler, admissionTarget); // an AdmissionTarget<number>
 * const item = 42;
 * if (!admission.tryAdmit(item)) await admission.overflowed(item, signal, timeoutMs);
 * admission.admitWaiting(); // after room was freed
 * ```
 */
export class Admission<T> {
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
   * Admits `item` if that needs no waiting: when there is room and nobody waits (a newcomer may not
   * overtake waiting offers), or under `'drop-oldest'` by evicting the oldest evictable item.
   * Otherwise returns `false`, reports nothing, and the item stays with the caller.
   */
  tryAdmit(item: T): boolean {
    const target = this.target;
    if (target.held() + this.reserved < this.capacity && this.waiters.length === 0) {
      target.store(item);
      return true;
    }
    if (this.overflow === 'drop-oldest' && target.canEvict()) {
      const evicted = target.evictOldest();
      target.store(item);
      target.dropped(evicted, false);
      return true;
    }
    return false;
  }

  /**
   * `tryAdmit`, or else the room held for a resolved {@link ready}: the caller of `trySubmit` after
   * `await ready()` was told it could come in.
   */
  claim(item: T): boolean {
    if (this.tryAdmit(item)) return true;
    if (this.reserved > 0 && this.target.held() < this.capacity) {
      this.reserved--;
      this.target.store(item);
      return true;
    }
    return false;
  }

  /** Whether the overflow strategy refuses or waits (rather than drops) when full. */
  get refusesWhenFull(): boolean {
    return this.overflow === 'block' || this.overflow === 'reject';
  }

  /**
   * Resolves once `claim` would admit an item: at once if it would now, otherwise in arrival order
   * with waiting offers, holding the room it was resolved for (see `claim`). Under a drop strategy
   * an item is always taken: at once. Rejects with the signal's reason on abort and with
   * `QueueTimeoutError` after `timeoutMs`, counting nothing.
   */
  ready(signal: AbortSignal | undefined, timeoutMs: number | undefined): Promise<void> {
    if (
      !this.refusesWhenFull ||
      (this.target.held() + this.reserved < this.capacity && this.waiters.length === 0)
    ) {
      return RESOLVED;
    }
    // The caller chose the abort reason; pass it through unchanged, as fetch does.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    if (signal?.aborted) return Promise.reject(signal.reason);
    return this.waiters.join(READY, signal, timeoutMs);
  }

  /** After `tryAdmit` said no: applies the overflow strategy. */
  overflowed(item: T, signal: AbortSignal | undefined, timeoutMs: number | undefined): Promise<void> {
    switch (this.overflow) {
      case 'reject':
        return this.refuse(new QueueFullError(this.capacity, this.target.held()));
      case 'drop-newest':
      case 'drop-oldest':
        // drop-oldest gets here only when nothing can be evicted: the newest item is the one dropped.
        this.target.dropped(item, true);
        return RESOLVED;
      default:
        if (signal?.aborted) return this.refuse(signal.reason);
        return this.waiters.join(item, signal, timeoutMs);
    }
  }

  /** `tryAdmit`, then the overflow strategy. */
  offer(item: T, signal?: AbortSignal, timeoutMs?: number): Promise<void> {
    return this.tryAdmit(item) ? RESOLVED : this.overflowed(item, signal, timeoutMs);
  }

  /** Moves waiting offers into freed room and resolves waiting `ready` calls, in arrival order. */
  admitWaiting(): void {
    const target = this.target;
    while (this.waiters.length > 0 && target.held() + this.reserved < this.capacity) {
      const waiter = this.waiters.admitNext()!;
      if (waiter.item === READY) {
        this.reserved++;
        this.reservedTimer ??= this.scheduler.schedule(() => this.releaseReserved(), 0);
      } else {
        target.store(waiter.item);
      }
      waiter.resolve();
    }
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
