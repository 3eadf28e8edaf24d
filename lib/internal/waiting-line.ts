import type { SchedulerLike, Subscription } from 'rxjs';
import { Deque } from './deque.js';
import { QueueTimeoutError } from '../errors/queue-timeout-error.js';
import { onAbort } from './abort-listeners.js';

/** One caller waiting (for room, or for a permit), with the item it brought; admitted with an `R`. */
export interface Waiter<T, R = void> {
  readonly item: T;
  /** The room the item needs (1 unless the owner weighs its items). */
  readonly weight: number;
  settled: boolean;
  resolve(value: R): void;
  reject(error: unknown): void;
  cleanup?(): void;
}

/**
 * Callers waiting for room in a full queue (the `'block'` strategy of `BoundedQueue` and of
 * `WriteCoordinator`) or for a circuit breaker's permit, first come first served; an admitted caller
 * gets an `R` (nothing for a queue, the permit for a breaker). A wait ends once: admitted by {@link admitNext}, or
 * withdrawn on abort (the signal's reason), on timeout (`QueueTimeoutError`, timed on the given
 * scheduler) or by {@link withdrawAll}. Withdrawn waiters stay in the deque until reached, and the
 * deque is compacted when they pile up, so a line that stays full while callers keep giving up
 * does not grow without bound.
 */
export class WaitingLine<T, R = void> {
  private readonly waiters = new Deque<Waiter<T, R>>();
  private waiting = 0;

  constructor(
    private readonly scheduler: SchedulerLike,
    /** Runs once for every wait that ends without admission, before its promise rejects. */
    private readonly onWithdrawn: (waiter: Waiter<T, R>) => void = () => undefined,
  ) {}

  /** Waits still pending. */
  get length(): number {
    return this.waiting;
  }

  /** Joins the line; the caller has checked that `signal` is not already aborted. */
  join(item: T, signal: AbortSignal | undefined, timeoutMs: number | undefined, weight = 1): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const waiter: Waiter<T, R> = { item, weight, resolve, reject, settled: false };
      let timeout: Subscription | undefined;
      if (timeoutMs !== undefined) {
        timeout = this.scheduler.schedule(
          () => this.withdraw(waiter, new QueueTimeoutError(timeoutMs)),
          timeoutMs,
        );
      }
      // One shared listener per signal: a signal passed to many blocked submits stays below Node's
      // listener-leak warning.
      const stopListening = signal && onAbort(signal, () => this.withdraw(waiter, signal.reason));
      waiter.cleanup = () => {
        timeout?.unsubscribe();
        stopListening?.();
      };
      this.waiters.push(waiter);
      this.waiting++;
    });
  }

  /** The oldest pending waiter, still in line (for its weight), or `undefined` when nobody waits. */
  peek(): Waiter<T, R> | undefined {
    let waiter: Waiter<T, R> | undefined;
    // Withdrawn waiters ahead of it are dropped on the way: they are reached here or in admitNext.
    while ((waiter = this.waiters.peek()) !== undefined && waiter.settled) this.waiters.shift();
    return waiter;
  }

  /**
   * Ends the oldest pending wait as admitted and returns its waiter (the caller stores the item,
   * then calls `resolve`), or `undefined` when nobody waits.
   */
  admitNext(): Waiter<T, R> | undefined {
    while (this.waiting > 0) {
      const waiter = this.waiters.shift() as Waiter<T, R>;
      if (waiter.settled) continue; // withdrawn earlier
      this.end(waiter);
      return waiter;
    }
    return undefined;
  }

  /** Withdraws every pending wait, each with its own error. */
  withdrawAll(error: () => unknown): void {
    let waiter: Waiter<T, R> | undefined;
    while ((waiter = this.waiters.shift()) !== undefined) this.withdraw(waiter, error());
  }

  private withdraw(waiter: Waiter<T, R>, error: unknown): void {
    if (waiter.settled) return;
    this.end(waiter);
    this.onWithdrawn(waiter);
    waiter.reject(error);
    if (this.waiters.length > 2 * this.waiting + 64) this.waiters.retain((w) => !w.settled);
  }

  private end(waiter: Waiter<T, R>): void {
    waiter.settled = true;
    this.waiting--;
    waiter.cleanup?.();
  }
}
