import { Subject, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import type { BackpressureLevel } from '../levels/backpressure-level.js';
import type { ResolvedWatermarks } from '../levels/watermarks.js';
import type { FeedbackEvent } from '../feedback/feedback-event.js';
import type { Dropped, OverflowStrategy } from '../queue/bounded-queue.js';
import type { FeedbackBus } from '../feedback/feedback-bus.js';
import { Admission, RESOLVED } from '../queue/admission.js';
import { describeValue } from '../errors/backpressure-error.js';
import { CoordinatorClosedError, isCoordinatorClosedError } from '../errors/coordinator-closed-error.js';
import { isQueueFullError } from '../errors/queue-full-error.js';
import { isQueueTimeoutError } from '../errors/queue-timeout-error.js';
import type { RetryPolicyLike } from '../retry/retry-policy.js';
import type { CircuitBreaker } from '../circuit-breaker/circuit-breaker.js';
import type {
  DeadLetterQueue,
  DeadLetterReason,
  DeadLetterRecord,
} from '../dead-letter/dead-letter-record.js';
import type { SubmitOptions, WriteCoordinatorOptions } from './write-coordinator-options.js';
import type { CoordinatorHealth, CoordinatorState } from './coordinator-health.js';
import type { StopOptions, StopReport } from './stop-report.js';
import type { WriteRecord } from './write-record.js';
import type { CoordinatorErrorReport } from './coordinator-error-report.js';
import {
  checkSubmitOptions,
  resolveCoordinatorOptions,
  resolveStopOptions,
} from './resolve-coordinator-options.js';
import { drainRateOf } from './drain-rate.js';
import { CoordinatorCounters } from './coordinator-counters.js';
import { BatchQueue } from './batch-queue.js';
import { WorkerPool } from './worker-pool.js';
import { BatchWriter, type Batch } from './batch-writer.js';
import { DeadLetterOutbox } from './dead-letter-outbox.js';
import { PressureSignal } from './pressure-signal.js';
import { claimCoordinatorId, releaseCoordinatorId } from './coordinator-ids.js';
import type { AsyncDisposableLike } from '../internal/platform-types.js';

// The lifecycle as small integers: `state >= STOPPING` is the hot-path check in `submit`.
const IDLE = 0;
const RUNNING = 1;
const STOPPING = 2;
const STOPPED = 3;
const STATE_NAMES: readonly CoordinatorState[] = ['idle', 'running', 'stopping', 'stopped'];

/**
 * Buffers items from fast producers and writes them in batches to a slower sink, with a fixed
 * capacity, worker concurrency, retries with backoff, a circuit breaker and a dead-letter queue, and
 * exposes its depth as Observables and {@link FeedbackEvent}s so that producers can slow down.
 *
 * - Bounded: `capacity` counts everything held, queued plus in flight (batches being written,
 *   waiting on backoff or on the breaker). A full coordinator applies its `overflow` strategy.
 * - Lossless under `'block'` and `'reject'`: every accepted item ends written or dead-lettered, and
 *   `submitted = written + deadLettered + dropped + rejected + queueSize + inFlight` at every moment.
 *   The drop strategies count (and report on `dropped$`) what they discard.
 * - Delivery is at least once: a sink that ignores its abort signal may store a batch that is also
 *   retried or dead-lettered. Sinks should honour the signal or be idempotent.
 *
 * @example
 * ```ts
 * const coordinator = new WriteCoordinator<Row>({
 *   id: 'rows',
 *   sink: (batch, { signal }) => db.insert(batch, { signal }),
 * });
 * coordinator.level$.subscribe((level) => console.log('pressure', level));
 * for (const row of rows) await coordinator.submit(row); // waits only while full
 * const report = await coordinator.stop(); // { drained, written, deadLettered, durationMs }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class WriteCoordinator<T> {
  /** Names the coordinator in events, records and errors. */
  readonly id: string;
  /** Most items held at once, queued plus in flight. */
  readonly capacity: number;
  /** Worker count. */
  readonly workers: number;
  /** Most items per batch: `min(batchSize, capacity)`. */
  readonly batchSize: number;
  /** Delay in ms after which a partial batch is written. */
  readonly flushIntervalMs: number;
  /** What a full coordinator does with a new item. */
  readonly overflow: OverflowStrategy;
  /** The level thresholds in use. */
  readonly watermarks: ResolvedWatermarks;
  /** Longest write attempt in ms. */
  readonly writeTimeoutMs: number;
  /** The retry policy in use. */
  readonly retryPolicy: RetryPolicyLike;
  /** Where batches that cannot be written go (the `deadLetter` option). */
  readonly deadLetterQueue: DeadLetterQueue<T>;
  /** The `source` field of feedback events. */
  readonly source: string;
  /** Whether the first `submit` starts an idle coordinator. */
  readonly autoStart: boolean;

  /**
   * Items held (queued plus in flight): the current depth on subscribe, then every change,
   * synchronously. Completes when the coordinator has stopped.
   */
  readonly depth$: Observable<number>;
  /** The level: the current one on subscribe, then every change, synchronously. Completes at stop. */
  readonly level$: Observable<BackpressureLevel>;
  /**
   * Hot: an event for every change of level or of its cause (`circuit_open` / `circuit_closed`, and
   * `circuit_half_open` when a half-open breaker has nothing to probe with and stops holding the
   * level at `'hard'`), also published on the bus, synchronously. Completes at stop.
   */
  readonly feedback$: Observable<FeedbackEvent>;
  /** Hot: failures the coordinator survives (failed attempts, dead-letter queue failures). */
  readonly errors$: Observable<CoordinatorErrorReport<T>>;
  /** Hot: one record per batch outcome, for metrics and logs. */
  readonly writes$: Observable<WriteRecord>;
  /** Hot: items discarded by the `'drop-oldest'` / `'drop-newest'` strategies. */
  readonly dropped$: Observable<Dropped<T>>;
  /**
   * Items written per second, smoothed: an exponentially weighted moving average over `writes$`
   * with a 1 s time constant, sampled every 100 ms on the coordinator's scheduler (bias-corrected,
   * so the first samples are not dragged towards 0). Emits 0 on subscribe, then one estimate per
   * sample; each subscription measures from its own start and runs its own timer until
   * unsubscribed or the coordinator stops (then it completes). Feed it to `matchDrainRate`.
   *
   * @example
   * ```ts
   * coordinator.drainRate$.subscribe((perSecond) => gauge.set(perSecond));
   * ```
   */
  readonly drainRate$: Observable<number>;

  private readonly scheduler: SchedulerLike;
  private readonly breaker: CircuitBreaker | null;
  private readonly breakerSubscription: Subscription | null = null;
  // Capacity bounds queued plus in flight, and blocked submits are admitted (FIFO) when a batch
  // *finishes*, not when it is taken: the admission counts `queue.length + writer.inFlight` as held.
  private readonly queue: BatchQueue<T>;
  private readonly admission: Admission<T>;
  private readonly pool: WorkerPool<Batch<T>>;
  private readonly writer: BatchWriter<T>;
  private readonly outbox: DeadLetterOutbox<T>;
  private readonly signal: PressureSignal;
  private readonly counters: CoordinatorCounters;
  private readonly errorsSubject = new Subject<CoordinatorErrorReport<T>>();
  private readonly droppedSubject = new Subject<Dropped<T>>();
  private stateCode = IDLE;
  private stopPromise: Promise<StopReport> | null = null;
  private drainResolve: (() => void) | null = null;
  private readonly bus: FeedbackBus | null;
  private readonly reservedId: boolean;
  private claimedId = false;

  /**
   * @throws TypeError or RangeError naming the bad option, the expected range and the value found.
   */
  constructor(options: WriteCoordinatorOptions<T>) {
    const resolved = resolveCoordinatorOptions(options);
    const { id, capacity, scheduler, breaker } = resolved;
    this.id = id;
    this.capacity = capacity;
    this.workers = resolved.workers;
    this.batchSize = resolved.batchSize;
    this.flushIntervalMs = resolved.flushIntervalMs;
    this.overflow = resolved.overflow;
    this.watermarks = resolved.watermarks;
    this.writeTimeoutMs = resolved.writeTimeoutMs;
    this.retryPolicy = resolved.retryPolicy;
    this.deadLetterQueue = resolved.deadLetterQueue;
    this.source = resolved.source;
    this.autoStart = resolved.autoStart;
    this.bus = resolved.bus;
    this.reservedId = resolved.reservedId;
    this.scheduler = scheduler;
    this.breaker = breaker;
    const counters = (this.counters = new CoordinatorCounters(id));
    this.pool = new WorkerPool<Batch<T>>(resolved.workers, {
      take: () => this.takeBatch(),
      process: (batch) => this.writer.process(batch),
      finished: () => this.stateCode === STOPPED || (this.stateCode === STOPPING && this.queue.length === 0),
    });
    const pool = this.pool;
    const queue = (this.queue = new BatchQueue<T>(
      this.batchSize,
      this.flushIntervalMs,
      scheduler,
      capacity,
      () => pool.wakeOne(),
    ));
    this.admission = new Admission<T>(capacity, this.overflow, scheduler, {
      held: () => queue.length + this.writer.inFlight,
      store: (item) => {
        queue.push(item);
        counters.submitted++;
      },
      canEvict: () => queue.length > 0,
      evictOldest: () => queue.shift(),
      dropped: (item, newcomer) => {
        if (newcomer) counters.submitted++;
        counters.dropped++;
        if (this.droppedSubject.observed) this.droppedSubject.next({ item, reason: 'overflow' });
      },
      // A refused offer and a withdrawn wait (abort, timeout, stop) count as refused submits.
      refused: () => counters.countRefused(),
      roomReleased: () => {
        if (this.stateCode >= STOPPING) return;
        this.admission.admitWaiting();
        this.signal.depthChanged();
      },
    });
    this.writer = new BatchWriter<T>({
      ...resolved,
      counters,
      report: (report) => this.report(report),
      settled: (batch, reason, error) => this.settled(batch, reason, error),
    });
    this.outbox = new DeadLetterOutbox<T>(id, this.deadLetterQueue, scheduler, (record, error) => {
      counters.deadLetterFailures++;
      this.report({ kind: 'dead-letter', coordinatorId: id, error, record });
    });
    this.signal = new PressureSignal({
      ...resolved,
      depth: () => queue.length + this.writer.inFlight,
      circuitState: () => breaker?.state ?? 'closed',
      stopped: () => this.stateCode === STOPPED,
    });
    this.depth$ = this.signal.depth$;
    this.level$ = this.signal.level$;
    this.feedback$ = this.signal.feedback$;
    this.errors$ = this.errorsSubject.asObservable();
    this.writes$ = counters.writes$;
    this.drainRate$ = drainRateOf(this.writes$, scheduler);
    this.dropped$ = this.droppedSubject.asObservable();
    // state$ emits the current state ('closed') at once, which changes nothing.
    if (breaker !== null)
      this.breakerSubscription = breaker.state$.subscribe((s) => this.signal.circuitChanged(s));
  }

  /** Where the coordinator is in its lifecycle. */
  get state(): CoordinatorState {
    return STATE_NAMES[this.stateCode]!;
  }

  /**
   * The current level: the depth's own level, or `'hard'` while the circuit breaker holds it (open,
   * and half-open while something is held; see `feedback$`).
   */
  get level(): BackpressureLevel {
    return this.signal.level;
  }

  /**
   * Dead-letter records the dead-letter queue failed to store (its `put` threw or rejected), kept
   * here so that nothing is lost; each failure was also reported on `errors$`.
   */
  get unsavedDeadLetters(): readonly DeadLetterRecord<T>[] {
    return this.outbox.unsaved.slice();
  }

  /**
   * Starts the workers. Idempotent while running. Items submitted before `start` wait in the queue.
   * With `autoStart` (the default) the first `submit` starts the coordinator, so calling this is
   * needed only after `autoStart: false`, or to start (and claim the id on the bus) before any item.
   *
   * @throws CoordinatorClosedError after `stop` (a stopped coordinator is final).
   * @example
   * ```ts
   * const coordinator = new WriteCoordinator({ sink, autoStart: false });
   * for (const row of rows) coordinator.trySubmit(row); // accepted up to capacity, not written yet
   * coordinator.start(); // now the workers write them
   * ```
   */
  start(): void {
    if (this.stateCode === RUNNING) return;
    if (this.stateCode !== IDLE) {
      throw new CoordinatorClosedError(
        this.id,
        `Coordinator '${this.id}' cannot start: expected a coordinator that was never stopped, found one that was ${this.state}.`,
      );
    }
    // Two live coordinators with one id on one bus would overwrite each other's level there.
    if (this.bus !== null) claimCoordinatorId(this.bus, this.id);
    this.claimedId = this.bus !== null;
    this.stateCode = RUNNING;
    this.pool.start();
  }

  /**
   * Hands one item to the coordinator. When there is room the item is accepted before this returns
   * and the promise is already resolved; a full coordinator applies its overflow strategy: `'block'`
   * waits for room (first come first served), `'reject'` rejects with `QueueFullError`, the drop
   * strategies resolve and count the discarded item.
   *
   * @throws (rejects) `CoordinatorClosedError` once `stop` was called (also for waits pending then);
   *   `QueueFullError` under `'reject'`; the signal's reason on abort; `QueueTimeoutError` after
   *   `timeoutMs`. Throws a `RangeError` / `TypeError` at once for bad options.
   * @example
   * ```ts
   * for await (const tick of ticks) await coordinator.submit(tick);
   * ```
   */
  submit(item: T, options?: SubmitOptions): Promise<void> {
    if (options !== undefined) {
      try {
        checkSubmitOptions(options);
      } catch (error) {
        // An option check's TypeError / RangeError: async methods reject, never throw.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        return Promise.reject(error);
      }
    }
    return this.offer(item, options);
  }

  /**
   * Submits `items` one by one, in order, each as {@link submit} would. Stops at the first refusal
   * and rejects with its error; the items after it are not submitted (and not counted).
   *
   * When the refusal is the coordinator's own error (`QueueFullError`, `QueueTimeoutError`,
   * `CoordinatorClosedError`, a new one for each refusal), it carries `accepted`: how many items of
   * this call were accepted before it (they are held, written or dead-lettered; under a drop
   * strategy some may have been dropped). An abort rejects with the signal's reason unchanged, as
   * `submit` does, without `accepted`: it is the caller's value, possibly shared by several calls.
   *
   * @throws (rejects) as {@link submit}; `TypeError` when `items` is not iterable.
   * @example
   * ```ts
   * try {
   *   await coordinator.submitMany(rows, { timeoutMs: 5_000 });
   * } catch (error) {
   *   const { accepted } = error as { accepted?: number };
   *   if (accepted !== undefined) retryLater(rows.slice(accepted)); // the rest was not submitted
   *   else throw error;
   * }
   * ```
   */
  async submitMany(items: Iterable<T>, options?: SubmitOptions): Promise<void> {
    if (items === null || items === undefined || typeof items[Symbol.iterator] !== 'function') {
      throw new TypeError(`items must be iterable, found ${describeValue(items)}`);
    }
    if (options !== undefined) checkSubmitOptions(options);
    let accepted = 0;
    try {
      for (const item of items) {
        const result = this.offer(item, options);
        if (result !== RESOLVED) await result;
        accepted++;
      }
    } catch (error) {
      if (isCoordinatorClosedError(error)) {
        // Waits refused at stop share one error (refusing them stays O(1) each): this call gets its own.
        const own = new CoordinatorClosedError(error.coordinatorId, error.message);
        own.accepted = accepted;
        throw own;
      }
      if (isQueueFullError(error) || isQueueTimeoutError(error)) {
        (error as { accepted?: number }).accepted = accepted;
      }
      throw error;
    }
  }

  /**
   * Hands one item to the coordinator if that needs no waiting, without a promise. Returns `true`
   * when the item was accepted (there was room), or, under `'drop-oldest'` / `'drop-newest'` when
   * full, accepted with the drop counted and reported on `dropped$` as `submit` does. Returns
   * `false` when the coordinator is full under `'block'` or `'reject'` (or earlier callers are
   * still waiting for room): nothing is counted and the item stays with the caller, who can
   * `await ready()` and try again. The cheapest way in: no allocation per item.
   *
   * @throws CoordinatorClosedError once `stop` was called.
   * @example
   * ```ts
   * for (const row of rows) {
   *   if (!coordinator.trySubmit(row)) {
   *     await coordinator.ready(); // resolves once there is room, first come first served
   *     coordinator.trySubmit(row); // true: the room is held for this caller
   *   }
   * }
   * ```
   */
  trySubmit(item: T): boolean {
    if (this.stateCode >= STOPPING) throw new CoordinatorClosedError(this.id);
    if (this.admission.claim(item)) {
      this.signal.depthChanged();
      return true;
    }
    if (this.admission.refusesWhenFull) return false;
    void this.admission.overflowed(item, undefined, undefined);
    return true;
  }

  /**
   * Resolves once {@link trySubmit} would accept an item: at once if it would now (as p-queue's
   * `onSizeLessThan`), otherwise when room is freed, first come first served with submits waiting
   * for room. A `ready()` that had to wait holds the room it was resolved for until its caller's
   * next `trySubmit` (or the scheduler's next tick, if the caller never comes back), so the
   * `if (!trySubmit(x)) { await ready(); trySubmit(x); }` form does not lose its item to a blocked
   * `submit` queued behind it. Several producers racing for the same room should loop instead:
   * `while (!c.trySubmit(x)) await c.ready();`. Under a drop strategy it always resolves at once.
   * Nothing is counted: `ready()` carries no item.
   *
   * @throws (rejects) `CoordinatorClosedError` once `stop` was called (also for calls still waiting
   *   then); the signal's reason on abort; `QueueTimeoutError` after `timeoutMs`. Throws a
   *   `RangeError` / `TypeError` at once for bad options.
   * @example
   * ```ts
   * await coordinator.ready({ timeoutMs: 5_000 }); // room for at least one more item
   * ```
   */
  ready(options?: SubmitOptions): Promise<void> {
    if (options !== undefined) checkSubmitOptions(options);
    if (this.stateCode >= STOPPING) return Promise.reject(new CoordinatorClosedError(this.id));
    return this.admission.ready(options?.signal, options?.timeoutMs);
  }

  /** `submit` after its options were checked. */
  private offer(item: T, options: SubmitOptions | undefined): Promise<void> {
    if (this.stateCode !== RUNNING) {
      if (this.stateCode >= STOPPING) return this.refuse(new CoordinatorClosedError(this.id));
      if (this.autoStart) {
        try {
          this.start();
        } catch (error) {
          return this.refuse(error as Error);
        }
      }
    }
    if (this.admission.tryAdmit(item)) {
      this.signal.depthChanged();
      return RESOLVED;
    }
    return this.admission.overflowed(item, options?.signal, options?.timeoutMs);
  }

  /**
   * A snapshot of counters and state.
   *
   * @example
   * ```ts
   * const { submitted, written, deadLettered, dropped, rejected, queueSize, inFlight } = coordinator.health();
   * ```
   */
  health(): CoordinatorHealth {
    return this.counters.health({
      id: this.id,
      state: this.state,
      workers: this.workers,
      busyWorkers: this.writer.held,
      queueSize: this.queue.length,
      inFlight: this.writer.inFlight,
      capacity: this.capacity,
      level: this.level,
      // After stop the breaker is disposed and holds nothing back.
      circuitState: this.stateCode === STOPPED ? 'closed' : (this.breaker?.state ?? 'closed'),
      timeInLevelMs: this.signal.timeInLevel(),
    });
  }

  /**
   * Stops the coordinator; final. New submits are refused at once, and submits waiting for room
   * reject with `CoordinatorClosedError`. With `drain` (default) partial batches are written at once
   * and `stop` waits up to `timeoutMs` (an open breaker included) for everything to be written.
   * Without `drain` queued items are dead-lettered at once and writes in progress get up to
   * `timeoutMs`, without new retries. At the timeout writes in progress are aborted and everything
   * left is dead-lettered with reason `'shutdown'`, without waiting for the sink. Then `stop` waits
   * for the dead-letter queue to store its records, within the same `timeoutMs` (one deadline for the
   * whole stop); a record still not stored then is kept in `unsavedDeadLetters`, counted in
   * `deadLetterFailures` and reported on `errors$`. Then it completes the Observables and resolves.
   * Works before `start` too. Calling it again returns the first call's promise: the options of later
   * calls are ignored (not even checked).
   *
   * @throws RangeError / TypeError at once for bad options.
   * @example
   * ```ts
   * process.on('SIGTERM', async () => {
   *   const report = await coordinator.stop({ timeoutMs: 5_000 });
   *   console.log(report); // { drained: true, written: 12000, deadLettered: 0, durationMs: 41 }
   * });
   * ```
   */
  stop(options: StopOptions = {}): Promise<StopReport> {
    if (this.stopPromise !== null) return this.stopPromise;
    let drain: boolean, timeoutMs: number;
    try {
      ({ drain, timeoutMs } = resolveStopOptions(options));
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      return Promise.reject(error);
    }
    this.stopPromise = this.runStop(drain, timeoutMs);
    return this.stopPromise;
  }

  /** Counts a refused submit and returns its rejection. */
  private refuse(error: Error): Promise<void> {
    this.counters.countRefused();
    return Promise.reject(error);
  }

  /** The next batch for a worker: full, or partial once due (or when draining). */
  private takeBatch(): Batch<T> | null {
    const now = this.scheduler.now();
    const items = this.queue.takeBatch(now);
    if (items === null) return null;
    return this.writer.begin(items, now);
  }

  /** A batch's outcome: written (`reason` null) or dead-lettered. Frees its room. */
  private settled(batch: Batch<T>, reason: DeadLetterReason | null, error: unknown): void {
    const size = batch.items.length;
    const durationMs = this.scheduler.now() - batch.takenAt;
    if (reason === null) {
      this.counters.countWritten(size, batch.attempts, durationMs);
    } else {
      this.counters.countDeadLettered(size, reason);
      this.outbox.put(batch.items, reason, error, batch.attempts);
      this.counters.recordWrite(size, batch.attempts, durationMs, reason);
    }
    // Admit waiting submits before announcing the depth, so that a batch finishing under a full
    // 'block' coordinator does not make the level flap down and up again.
    if (this.admission.waiting > 0 && this.stateCode < STOPPING) this.admission.admitWaiting();
    this.signal.depthChanged();
    // A probe handed back without an outcome (non-retryable error) leaves the breaker half-open.
    if (this.signal.holding) this.signal.releaseIdleHold();
    if (this.drainResolve !== null && this.queue.length + this.writer.inFlight === 0) {
      const resolve = this.drainResolve;
      this.drainResolve = null;
      resolve();
    }
  }

  /** Dead-letters every queued item, in batches of at most `batchSize`, with reason `'shutdown'`. */
  private deadLetterQueued(error: unknown): void {
    while (this.queue.length > 0) {
      const items = this.queue.take(this.batchSize);
      this.counters.countDeadLettered(items.length, 'shutdown');
      this.outbox.put(items, 'shutdown', error, 0);
      this.counters.recordWrite(items.length, 0, 0, 'shutdown');
    }
    this.signal.depthChanged();
  }

  private report(report: CoordinatorErrorReport<T>): void {
    if (this.errorsSubject.observed) this.errorsSubject.next(report);
  }

  private async runStop(drain: boolean, timeoutMs: number): Promise<StopReport> {
    const startedAt = this.scheduler.now();
    const wasIdle = this.stateCode === IDLE;
    this.stateCode = STOPPING;
    const closed = new CoordinatorClosedError(this.id);
    const writtenBefore = this.counters.written;
    const deadLetteredBefore = this.counters.deadLettered;
    // One error for every waiter, so that refusing 100 000 of them keeps stop's deadline (building
    // an error captures a stack); submitMany gives its call its own copy with `accepted`.
    this.admission.refuseWaiting(() => closed);
    if (drain) {
      this.queue.flushAll = true;
      if (wasIdle && this.queue.length > 0) this.pool.start();
      this.pool.wakeAll();
    } else {
      this.writer.noRetries = true;
      this.deadLetterQueued(closed);
      // Batches waiting on backoff or on the breaker are not writes in progress: they go now.
      this.writer.endWaits(closed);
      this.pool.wakeAll();
    }
    if (this.queue.length + this.writer.inFlight > 0) {
      const timedOut = await new Promise<boolean>((resolve) => {
        const timer = this.scheduler.schedule(() => {
          this.drainResolve = null;
          resolve(true);
        }, timeoutMs);
        this.drainResolve = () => {
          timer.unsubscribe();
          resolve(false);
        };
      });
      if (timedOut) {
        // Abort what is in flight and dead-letter everything left, at once.
        this.writer.giveUp(closed);
        this.deadLetterQueued(closed);
      }
    }
    // What is left of the one deadline for the dead-letter queue to store its records.
    if (this.outbox.pending > 0) {
      await this.outbox.settle(Math.max(0, startedAt + timeoutMs - this.scheduler.now()), timeoutMs);
    }
    this.finalize(closed);
    return {
      drained: this.counters.shutdownDeadLettered === 0,
      writtenDuringStop: this.counters.written - writtenBefore,
      deadLetteredDuringStop: this.counters.deadLettered - deadLetteredBefore,
      written: this.counters.written,
      deadLettered: this.counters.deadLettered,
      durationMs: this.scheduler.now() - startedAt,
    };
  }

  private finalize(reason: CoordinatorClosedError): void {
    this.stateCode = STOPPED;
    this.queue.close();
    this.writer.endWaits(reason);
    this.breakerSubscription?.unsubscribe();
    this.breaker?.dispose(reason);
    // The disposed breaker holds nothing back any more: the level returns to the depth's own (0 held).
    if (this.signal.holding) this.signal.releaseHold('circuit_closed');
    this.pool.wakeAll();
    // The id is free again, and the bus no longer reports a level for a coordinator that is gone.
    if (this.claimedId || this.reservedId) {
      releaseCoordinatorId(this.bus, this.id, this.claimedId, this.reservedId);
    }
    // A bus of one's own may be any object with `publish`: `forget` is optional there.
    (this.bus as { forget?: (coordinatorId: string) => void } | null)?.forget?.(this.id);
    this.signal.complete();
    this.errorsSubject.complete();
    this.counters.complete();
    this.droppedSubject.complete();
  }
}

// `stop({ drain: true })` for `await using`. Declared through this interface, not in the class, so
// that the declarations need no `AsyncDisposable` or `Symbol.asyncDispose` where the consumer's lib
// has none; defined where the runtime has `Symbol.asyncDispose`.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars
export interface WriteCoordinator<T> extends AsyncDisposableLike {}

if (typeof Symbol.asyncDispose === 'symbol') {
  Object.defineProperty(WriteCoordinator.prototype, Symbol.asyncDispose, {
    configurable: true,
    writable: true,
    value: async function (this: WriteCoordinator<unknown>): Promise<void> {
      await this.stop({ drain: true });
    },
  });
}
