import {
  BehaviorSubject,
  asyncScheduler,
  type Observable,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import { BackpressureError } from '../errors/backpressure-error.js';
import { describeValue } from '../internal/describe-value.js';
import { assertDelayMs, assertInteger, assertScheduler } from '../internal/validate.js';
import type { AbortSignalLike } from '../internal/platform-types.js';
import { WaitingLine } from '../internal/waiting-line.js';

/**
 * The states of a {@link CircuitBreaker}: `'closed'` lets every write through, `'open'` lets none
 * through, `'half-open'` lets exactly one probe through to test the sink.
 *
 * @example
 * ```ts
 * const alarming: CircuitState[] = ['open', 'half-open'];
 * ```
 */
export type CircuitState = 'closed' | 'open' | 'half-open';

/**
 * Options of a {@link CircuitBreaker}.
 *
 * @example
 * ```ts
 * const options: CircuitBreakerOptions = { failureThreshold: 3, halfOpenAfterMs: 10_000 };
 * ```
 */
export interface CircuitBreakerOptions {
  /** Consecutive retryable failures that open the circuit. An integer `>= 1`. @default 5 */
  readonly failureThreshold?: number;
  /**
   * Time in ms from opening to half-open, when one probe is let through. A finite number within
   * `[0, 2_147_483_647]` (2^31 - 1, the longest a timer can wait). @default 60000
   */
  readonly halfOpenAfterMs?: number;
  /** Scheduler that times the wait from open to half-open; pass a `TestScheduler` in tests. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}

/**
 * Permission to try one write, issued by {@link CircuitBreaker.tryAcquire} or
 * {@link CircuitBreaker.acquire}. Hand it back exactly once, with `recordSuccess`, `recordFailure`
 * or `release`.
 *
 * @example
 * ```ts
 * const permit = await breaker.acquire();
 * if (permit.probe) console.info('testing the sink after an outage');
 * ```
 */
export interface CircuitPermit {
  /** `true` for the single half-open probe, whose outcome closes or re-opens the circuit. */
  readonly probe: boolean;
}

interface PermitRecord {
  /** The closed period the permit was issued in; outcomes of older periods are ignored. */
  readonly epoch: number;
  spent: boolean;
}

/**
 * A circuit breaker for a sink: after `failureThreshold` consecutive retryable failures it opens and
 * refuses writes; `halfOpenAfterMs` later it lets exactly one probe through; the probe's success
 * closes it, its failure re-opens it. Unlike the Python market-data store's Phase 6.0A backpressure feedback, half-open admits a single caller
 * at a time and every wait ends promptly on abort or {@link CircuitBreaker.dispose}.
 *
 * Callers waiting while the circuit is open queue first come first served: when it turns half-open
 * the first waiter gets the probe; when the probe succeeds every waiter is let through. Outcomes of
 * permits issued before the circuit opened (writes in flight at the time) are ignored afterwards:
 * only the probe changes the state of an open or half-open circuit.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ failureThreshold: 3, halfOpenAfterMs: 5_000 });
 * breaker.state$.subscribe((state) => console.info('circuit', state));
 * const permit = await breaker.acquire(signal);
 * try {
 *   await db.insert(batch, { signal });
 *   breaker.recordSuccess(permit);
 * } catch (error) {
 *   if (defaultIsRetryable(error)) breaker.recordFailure(permit);
 *   else breaker.release(permit);
 * }
 * ```
 */
export class CircuitBreaker {
  /** Consecutive retryable failures that open the circuit. */
  readonly failureThreshold: number;
  /** Time in ms from opening to half-open. */
  readonly halfOpenAfterMs: number;

  /** The current state on subscribe, then each change, synchronously. Completes on `dispose`. */
  readonly state$: Observable<CircuitState>;

  private readonly scheduler: SchedulerLike;
  private readonly stateSubject = new BehaviorSubject<CircuitState>('closed');
  private current: CircuitState = 'closed';
  private readonly permits = new WeakMap<CircuitPermit, PermitRecord>();
  /** Callers of `acquire` waiting for a permit; each holds one abort listener until it settles. */
  private readonly line: WaitingLine<undefined, CircuitPermit>;
  private epoch = 0;
  private failures = 0;
  private probeHeld = false;
  private timer: Subscription | null = null;
  private disposed = false;
  private disposeReason: unknown = undefined;

  constructor(options: CircuitBreakerOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`circuitBreaker must be an options object, found ${describeValue(options)}`);
    }
    const { failureThreshold = 5, halfOpenAfterMs = 60_000, scheduler = asyncScheduler } = options;
    this.failureThreshold = assertInteger('circuitBreaker.failureThreshold', failureThreshold, 1);
    this.halfOpenAfterMs = assertDelayMs('circuitBreaker.halfOpenAfterMs', halfOpenAfterMs);
    assertScheduler('circuitBreaker.scheduler', scheduler);
    this.scheduler = scheduler;
    this.line = new WaitingLine(scheduler);
    this.state$ = this.stateSubject.asObservable();
  }

  /**
   * The current state.
   *
   * @example
   * ```ts
   * if (breaker.state !== 'closed') console.warn('sink unhealthy');
   * ```
   */
  get state(): CircuitState {
    return this.current;
  }

  /**
   * Consecutive retryable failures counted since the circuit last closed or saw a success.
   *
   * @example
   * ```ts
   * metrics.gauge('breaker_failures', breaker.consecutiveFailures);
   * ```
   */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /**
   * Callers of {@link CircuitBreaker.acquire} still waiting for a permit.
   *
   * @example
   * ```ts
   * metrics.gauge('breaker_waiting', breaker.waiting);
   * ```
   */
  get waiting(): number {
    return this.line.length;
  }

  /**
   * A permit at once, or `null`: a permit when closed, the probe when half-open and nobody holds it;
   * `null` while open, while the probe is taken, and after `dispose`.
   *
   * @example
   * ```ts
   * const permit = breaker.tryAcquire();
   * if (permit === null) return; // circuit open: leave the batch queued
   * ```
   */
  tryAcquire(): CircuitPermit | null {
    if (this.disposed) return null;
    const state = this.state;
    if (state === 'closed') return this.issue(false);
    if (state === 'half-open' && !this.probeHeld && this.line.length === 0) {
      this.probeHeld = true;
      return this.issue(true);
    }
    return null;
  }

  /**
   * Resolves with a permit: at once when closed (or half-open with the probe free); while open,
   * waits first come first served until this caller holds the half-open probe or the circuit closes.
   * Rejects with `signal.reason` on abort (at once if already aborted) and with the dispose reason
   * after {@link CircuitBreaker.dispose}.
   *
   * @example
   * ```ts
   * const permit = await breaker.acquire(AbortSignal.timeout(10_000));
   * ```
   */
  acquire(signal?: AbortSignalLike): Promise<CircuitPermit> {
    // The caller chose the abort and dispose reasons; pass them through unchanged, as fetch does.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    if (signal?.aborted) return Promise.reject(signal.reason);
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    if (this.disposed) return Promise.reject(this.disposeReason);
    const permit = this.tryAcquire();
    if (permit !== null) return Promise.resolve(permit);
    // Rejected with the signal's reason on abort, and with the dispose reason on dispose.
    return this.line.join(undefined, signal, undefined);
  }

  /**
   * Reports a successful write. Closed: resets the consecutive-failure count. The probe: closes the
   * circuit and lets every waiter through. Stale permits (issued before the circuit opened) and
   * permits already handed back are ignored.
   *
   * @example
   * ```ts
   * await db.insert(batch, { signal });
   * breaker.recordSuccess(permit);
   * ```
   */
  recordSuccess(permit: CircuitPermit): void {
    const record = this.spend(permit);
    if (record === null) return;
    if (permit.probe) {
      this.probeHeld = false;
      this.close();
    } else if (this.state === 'closed') {
      this.failures = 0;
    }
  }

  /**
   * Reports a retryable failure (a non-retryable one says nothing about the sink: use
   * {@link CircuitBreaker.release}). Closed: counts it, and the `failureThreshold`-th consecutive one
   * opens the circuit. The probe: re-opens it. Both schedule half-open `halfOpenAfterMs` later.
   *
   * @example
   * ```ts
   * if (isRetryable(error)) breaker.recordFailure(permit);
   * ```
   */
  recordFailure(permit: CircuitPermit): void {
    const record = this.spend(permit);
    if (record === null) return;
    if (permit.probe) {
      this.probeHeld = false;
      this.open();
    } else if (this.state === 'closed') {
      this.failures += 1;
      if (this.failures >= this.failureThreshold) this.open();
    }
  }

  /**
   * Hands a permit back without an outcome (a non-retryable error, a write aborted at stop): the
   * state does not change; a probe's slot goes to the next waiter.
   *
   * @example
   * ```ts
   * if (!isRetryable(error)) breaker.release(permit);
   * ```
   */
  release(permit: CircuitPermit): void {
    const record = this.spend(permit);
    if (record === null || !permit.probe) return;
    this.probeHeld = false;
    if (this.state === 'half-open') this.grantProbe();
  }

  /**
   * Ends the breaker: cancels the half-open timer, rejects every waiter with `reason`, completes
   * `state$`. Afterwards `tryAcquire` returns `null` and `acquire` rejects with `reason`. Idempotent.
   *
   * @example
   * ```ts
   * breaker.dispose(new CoordinatorClosedError('orders'));
   * ```
   */
  dispose(
    reason: unknown = new BackpressureError(
      'Circuit breaker disposed: expected it in use, found it disposed.',
    ),
  ): void {
    if (this.disposed) return;
    this.disposed = true;
    this.disposeReason = reason;
    this.cancelTimer();
    this.line.withdrawAll(() => reason);
    this.stateSubject.complete();
  }

  private issue(probe: boolean): CircuitPermit {
    const permit: CircuitPermit = Object.freeze({ probe });
    this.permits.set(permit, { epoch: this.epoch, spent: false });
    return permit;
  }

  /** Marks a permit used; returns null when it is unknown, spent, or from an earlier period. */
  private spend(permit: CircuitPermit): PermitRecord | null {
    const record = typeof permit === 'object' && permit !== null ? this.permits.get(permit) : undefined;
    if (record === undefined || record.spent) return null;
    record.spent = true;
    if (this.disposed || record.epoch !== this.epoch) return null;
    return record;
  }

  private open(): void {
    // A new period: permits issued before now are stale.
    this.epoch += 1;
    this.failures = 0;
    this.cancelTimer();
    if (this.disposed) return;
    this.current = 'open';
    this.timer = this.scheduler.schedule(() => this.halfOpen(), this.halfOpenAfterMs);
    this.stateSubject.next('open');
  }

  private halfOpen(): void {
    this.timer = null;
    if (this.disposed || this.state !== 'open') return;
    // Grant the probe before announcing, so that a state$ subscriber calling tryAcquire cannot jump
    // the queue of callers already waiting.
    this.current = 'half-open';
    this.grantProbe();
    this.stateSubject.next('half-open');
  }

  private close(): void {
    this.epoch += 1;
    this.failures = 0;
    this.cancelTimer();
    this.current = 'closed';
    // Permits for the waiters belong to this closed period; issued before announcing it, so that a
    // subscriber re-opening the circuit synchronously makes them stale, as it should.
    for (let waiter = this.line.admitNext(); waiter !== undefined; waiter = this.line.admitNext()) {
      waiter.resolve(this.issue(false));
    }
    this.stateSubject.next('closed');
  }

  private grantProbe(): void {
    const waiter = this.line.admitNext();
    if (waiter === undefined) return;
    this.probeHeld = true;
    waiter.resolve(this.issue(true));
  }

  private cancelTimer(): void {
    this.timer?.unsubscribe();
    this.timer = null;
  }
}
