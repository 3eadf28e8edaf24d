import { type Observable, Subject, asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import type { BackpressureLevel } from '../levels/backpressure-level.js';
import { nextLevel, resolveWatermarks, type ResolvedWatermarks } from '../levels/watermarks.js';
import {
  clampUtilization,
  createFeedbackEvent,
  reasonForTransition,
  type FeedbackEvent,
  type FeedbackReason,
} from '../feedback/feedback-event.js';
import { feedbackBus, type FeedbackBus } from '../feedback/feedback-bus.js';
import { OVERFLOW_STRATEGIES, type Dropped, type OverflowStrategy } from '../queue/bounded-queue.js';
import { WaitingLine } from '../internal/waiting-line.js';
import { Deque } from '../internal/deque.js';
import {
  MAX_DELAY_MS,
  assertDelay,
  assertInteger,
  assertNonEmptyString,
  assertOneOf,
  assertPositiveNumber,
} from '../internal/validate.js';
import { describeValue } from '../errors/backpressure-error.js';
import { CoordinatorClosedError, isCoordinatorClosedError } from '../errors/coordinator-closed-error.js';
import { QueueFullError, isQueueFullError } from '../errors/queue-full-error.js';
import { isQueueTimeoutError } from '../errors/queue-timeout-error.js';
import { WriteTimeoutError, isWriteTimeoutError } from '../errors/write-timeout-error.js';
import { toRetryPolicy, type RetryPolicyLike } from '../retry/retry-policy.js';
import { CircuitBreaker, type CircuitPermit, type CircuitState } from '../circuit-breaker/circuit-breaker.js';
import {
  toErrorSummary,
  type DeadLetterQueue,
  type DeadLetterReason,
  type DeadLetterRecord,
} from '../dead-letter/dead-letter-record.js';
import { MemoryDeadLetterQueue } from '../dead-letter/memory-dead-letter-queue.js';
import type { SinkFunction, WriteContext } from './sink.js';
import { Multicast } from './multicast.js';
import type { SubmitOptions, WriteCoordinatorOptions } from './write-coordinator-options.js';
import type { CoordinatorHealth, CoordinatorState } from './coordinator-health.js';
import type { StopOptions, StopReport } from './stop-report.js';
import type { WriteRecord } from './write-record.js';
import type { CoordinatorErrorReport } from './coordinator-error-report.js';

// The lifecycle as small integers: `state >= STOPPING` is the hot-path check in `submit`.
const IDLE = 0;
const RUNNING = 1;
const STOPPING = 2;
const STOPPED = 3;
const STATE_NAMES: readonly CoordinatorState[] = ['idle', 'running', 'stopping', 'stopped'];

/** Shared by every `submit` that needs no waiting: no promise is allocated per item. */
const RESOLVED: Promise<void> = Promise.resolve();

/** Marks a place in the waiting line taken by a `ready()` call, which brings no item. */
const READY = Symbol('ready');
type Entry<T> = T | typeof READY;

/** A batch held by a worker, from the moment it is taken until its outcome. */
interface Batch<T> {
  readonly items: T[];
  readonly takenAt: number;
  attempts: number;
  /** Written or dead-lettered; set once, by the worker or by `stop` giving up. */
  settled: boolean;
  /** The running attempt, so that `stop` can abort it. */
  running: AttemptContext | null;
  /** Ends this batch's waits on backoff and on the breaker; created on the first wait. */
  waitController: AbortController | null;
}

/** A level change (or a change of its cause) waiting to be emitted. */
interface PendingLevel {
  readonly previousLevel: BackpressureLevel;
  readonly level: BackpressureLevel;
  readonly reason: FeedbackReason | null;
  readonly queueSize: number;
}

/**
 * The context of one write attempt. Its signal is created on first read, so that a sink that never
 * looks at it (a synchronous in-memory sink) costs no AbortController per batch; aborting before or
 * after the read is the same for the sink.
 */
class AttemptContext implements WriteContext {
  /** Called on abort while the coordinator waits for this attempt. */
  onAbort: ((reason: unknown) => void) | null = null;
  private controller: AbortController | null = null;
  private aborted = false;
  private reason: unknown = undefined;

  constructor(readonly attempt: number) {}

  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
    this.onAbort?.(reason);
  }
}

/** A failed attempt (the error may be any value, `undefined` included). */
class Failure {
  constructor(readonly error: unknown) {}
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

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
 * coordinator.start();
 * coordinator.level$.subscribe((level) => console.log('pressure', level));
 * for (const row of rows) await coordinator.submit(row); // waits only while full
 * const report = await coordinator.stop(); // { drained, written, deadLettered, durationMs }
 * ```
 */
export class WriteCoordinator<T> implements AsyncDisposable {
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

  private readonly write: SinkFunction<T>;
  private readonly bus: FeedbackBus | null;
  private readonly scheduler: SchedulerLike;
  private readonly breaker: CircuitBreaker | null;
  private readonly breakerSubscription: Subscription | null = null;

  // The queue is a plain Deque rather than a BoundedQueue: capacity bounds queued plus in flight,
  // and blocked submits must be admitted (FIFO) when a batch *finishes*, not when it is taken, so
  // the accounting lives here in one place instead of being split between two objects.
  private readonly queue: Deque<T>;
  private readonly waiters: WaitingLine<Entry<T>>;
  private inFlight = 0;
  // Room held for `ready()` calls that were resolved after waiting, until their caller's
  // `trySubmit` (or the scheduler's next tick): without it a blocked `submit` behind them in the
  // line could take the room between the resolution and the caller's continuation.
  private held = 0;
  private heldTimer: Subscription | null = null;
  private readonly batches = new Set<Batch<T>>();
  private readonly idleWorkers: (() => void)[] = [];
  private stateCode = IDLE;

  private submitted = 0;
  private written = 0;
  private deadLettered = 0;
  private dropped = 0;
  private rejected = 0;
  private batchesWritten = 0;
  private writeErrors = 0;
  private deadLetterFailures = 0;
  private shutdownDeadLettered = 0;

  // Flush timing without a clock read per item: a mark (sequence number, time) is taken when the
  // queue turns non-empty and on the first accept after each take. Items after a mark are at least
  // as young as it, so the head's deadline `markTime + flushIntervalMs` is never late; it may be up
  // to flushIntervalMs early for an item accepted long after its mark (docs/coordinator.md).
  private seqIn = 0;
  private seqOut = 0;
  private needMark = true;
  private headMarkAt = 0;
  private markSeqs: number[] = [];
  private markTimes: number[] = [];
  private markHead = 0;
  private flushTimer: Subscription | null = null;
  private flushAll = false;

  // Levels: `depthLevel` follows the depth (hysteresis included) even while the breaker holds the
  // level at 'hard'. Changes are emitted through `pending`, in order; `reportedDepth` and
  // `emittedLevel` are what subscribers have seen, given to new subscribers so that they never get
  // a value ahead of the changes still to be emitted.
  private depthSeen = 0;
  private depthLevel: BackpressureLevel = 'ok';
  private circuitHolding = false;
  private reportedDepth = 0;
  private emittedLevel: BackpressureLevel = 'ok';
  private readonly pending: (number | PendingLevel)[] = [];
  private emitting = false;

  private readonly depthSubject = new Multicast<number>();
  private readonly levelSubject = new Multicast<BackpressureLevel>();
  private readonly feedbackSubject = new Subject<FeedbackEvent>();
  private readonly errorsSubject = new Subject<CoordinatorErrorReport<T>>();
  private readonly writesSubject = new Subject<WriteRecord>();
  private readonly droppedSubject = new Subject<Dropped<T>>();

  private stopPromise: Promise<StopReport> | null = null;
  private noRetries = false;
  /** Set once stop ends the waits on backoff and on the breaker; the error they end with. */
  private waitsEnded: CoordinatorClosedError | null = null;
  private drainResolve: (() => void) | null = null;
  /** Dead-letter puts not settled yet, with their records. */
  private readonly pendingPuts = new Map<Promise<void>, DeadLetterRecord<T>>();
  private readonly unsaved: DeadLetterRecord<T>[] = [];

  /**
   * @throws TypeError or RangeError naming the bad option, the expected range and the value found.
   */
  constructor(options: WriteCoordinatorOptions<T>) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(
        `WriteCoordinator options must be an object with a sink, found ${describeValue(options)}`,
      );
    }
    const {
      sink,
      id = 'default',
      capacity = 10_000,
      workers = 4,
      batchSize = 500,
      flushIntervalMs = 250,
      overflow = 'block',
      watermarks,
      writeTimeoutMs = 30_000,
      retry,
      circuitBreaker,
      deadLetter,
      bus,
      source = 'coordinator',
      scheduler = asyncScheduler,
    } = options;
    this.write = toSinkFunction(sink);
    this.id = assertNonEmptyString('id', id);
    this.capacity = assertInteger('capacity', capacity, 1);
    this.workers = assertInteger('workers', workers, 1);
    this.batchSize = Math.min(assertInteger('batchSize', batchSize, 1), this.capacity);
    this.flushIntervalMs = assertDelay('flushIntervalMs', flushIntervalMs, 0);
    this.overflow = assertOneOf('overflow', overflow, OVERFLOW_STRATEGIES);
    this.watermarks = resolveWatermarks(watermarks);
    this.writeTimeoutMs = assertPositiveNumber('writeTimeoutMs', writeTimeoutMs);
    if (writeTimeoutMs > MAX_DELAY_MS) {
      throw new RangeError(
        `writeTimeoutMs must be a finite number within (0, ${MAX_DELAY_MS}], found ${String(writeTimeoutMs)}`,
      );
    }
    this.retryPolicy = toRetryPolicy(retry);
    if (
      typeof scheduler !== 'object' ||
      scheduler === null ||
      typeof scheduler.schedule !== 'function' ||
      typeof scheduler.now !== 'function'
    ) {
      throw new TypeError(`scheduler must be an rxjs SchedulerLike, found ${describeValue(scheduler)}`);
    }
    this.scheduler = scheduler;
    // A withdrawn wait (abort, timeout, stop) is a refused submit; a withdrawn ready() held no item.
    this.waiters = new WaitingLine<Entry<T>>(scheduler, (waiter) => {
      if (waiter.item === READY) return;
      this.submitted++;
      this.rejected++;
    });
    if (circuitBreaker === false) {
      this.breaker = null;
    } else if (
      circuitBreaker === undefined ||
      (typeof circuitBreaker === 'object' && circuitBreaker !== null)
    ) {
      this.breaker = new CircuitBreaker({ ...circuitBreaker, scheduler });
    } else {
      throw new TypeError(
        `circuitBreaker must be an options object or false, found ${describeValue(circuitBreaker)}`,
      );
    }
    if (deadLetter === undefined) {
      this.deadLetterQueue = new MemoryDeadLetterQueue<T>();
    } else if (
      typeof deadLetter === 'object' &&
      deadLetter !== null &&
      typeof (deadLetter as Partial<DeadLetterQueue<T>>).put === 'function'
    ) {
      this.deadLetterQueue = deadLetter;
    } else {
      throw new TypeError(
        `deadLetter must be an object with a put method, found ${describeValue(deadLetter)}`,
      );
    }
    if (bus === undefined) {
      this.bus = feedbackBus();
    } else if (
      bus === null ||
      (typeof bus === 'object' && typeof (bus as Partial<FeedbackBus>).publish === 'function')
    ) {
      this.bus = bus;
    } else {
      throw new TypeError(`bus must be a FeedbackBus or null, found ${describeValue(bus)}`);
    }
    if (typeof source !== 'string')
      throw new TypeError(`source must be a string, found ${describeValue(source)}`);
    this.source = source;
    this.queue = new Deque<T>(Math.min(this.capacity, 1024));

    this.depth$ = this.depthSubject.asObservable(() => this.reportedDepth);
    this.level$ = this.levelSubject.asObservable(() => this.emittedLevel);
    this.feedback$ = this.feedbackSubject.asObservable();
    this.errors$ = this.errorsSubject.asObservable();
    this.writes$ = this.writesSubject.asObservable();
    this.dropped$ = this.droppedSubject.asObservable();
    if (this.breaker !== null) {
      // state$ emits the current state ('closed') at once, which changes nothing.
      this.breakerSubscription = this.breaker.state$.subscribe((state) => this.onCircuitState(state));
    }
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
    return this.circuitHolding ? 'hard' : this.depthLevel;
  }

  /**
   * Dead-letter records the dead-letter queue failed to store (its `put` threw or rejected), kept
   * here so that nothing is lost; each failure was also reported on `errors$`.
   */
  get unsavedDeadLetters(): readonly DeadLetterRecord<T>[] {
    return this.unsaved.slice();
  }

  /**
   * Starts the workers. Idempotent while running. Items submitted before `start` wait in the queue.
   *
   * @throws CoordinatorClosedError after `stop` (a stopped coordinator is final).
   * @example
   * ```ts
   * const coordinator = new WriteCoordinator({ sink });
   * coordinator.start();
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
    this.stateCode = RUNNING;
    this.spawnWorkers();
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
    if (options !== undefined) checkSubmitOptions(options);
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
      if (isQueueFullError(error) || isQueueTimeoutError(error) || isCoordinatorClosedError(error)) {
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
    if (this.stateCode >= STOPPING) throw this.closedError();
    const depth = this.queue.length + this.inFlight;
    if (depth + this.held < this.capacity && this.waiters.length === 0) {
      this.enqueue(item);
      this.depthChanged();
      return true;
    }
    if (this.held > 0 && depth < this.capacity) {
      // The room a resolved ready() held; taking it is what that caller was told it could do.
      this.held--;
      this.enqueue(item);
      this.depthChanged();
      return true;
    }
    if (this.overflow === 'block' || this.overflow === 'reject') return false;
    void this.overflowed(item, undefined);
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
    if (this.stateCode >= STOPPING) return Promise.reject(this.closedError());
    if (
      (this.queue.length + this.inFlight + this.held < this.capacity && this.waiters.length === 0) ||
      (this.overflow !== 'block' && this.overflow !== 'reject')
    ) {
      return RESOLVED;
    }
    const { signal, timeoutMs } = options ?? {};
    // The caller chose the abort reason; pass it through unchanged, as fetch does.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    if (signal?.aborted) return Promise.reject(signal.reason);
    return this.waiters.join(READY, signal, timeoutMs);
  }

  /** `submit` after its options were checked. */
  private offer(item: T, options: SubmitOptions | undefined): Promise<void> {
    if (this.stateCode >= STOPPING) return this.refuse(this.closedError());
    if (this.queue.length + this.inFlight + this.held < this.capacity && this.waiters.length === 0) {
      this.enqueue(item);
      this.depthChanged();
      return RESOLVED;
    }
    return this.overflowed(item, options);
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
    const depth = this.queue.length + this.inFlight;
    return {
      id: this.id,
      state: this.state,
      workers: this.workers,
      busyWorkers: this.batches.size,
      queueSize: this.queue.length,
      inFlight: this.inFlight,
      capacity: this.capacity,
      utilization: clampUtilization(depth / this.capacity),
      level: this.level,
      // After stop the breaker is disposed and holds nothing back.
      circuitState: this.stateCode === STOPPED ? 'closed' : (this.breaker?.state ?? 'closed'),
      submitted: this.submitted,
      written: this.written,
      deadLettered: this.deadLettered,
      dropped: this.dropped,
      rejected: this.rejected,
      batchesWritten: this.batchesWritten,
      writeErrors: this.writeErrors,
      deadLetterFailures: this.deadLetterFailures,
    };
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
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`stop options must be an object, found ${describeValue(options)}`);
    }
    const { drain = true, timeoutMs = 10_000 } = options;
    if (typeof drain !== 'boolean')
      throw new TypeError(`drain must be a boolean, found ${describeValue(drain)}`);
    assertDelay('timeoutMs', timeoutMs, 0);
    this.stopPromise = this.runStop(drain, timeoutMs);
    return this.stopPromise;
  }

  /**
   * `stop({ drain: true })`, for `await using`.
   *
   * @example
   * ```ts
   * {
   *   await using coordinator = new WriteCoordinator({ sink });
   *   coordinator.start();
   *   await coordinator.submitMany(rows);
   * } // drained and stopped here
   * ```
   */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop({ drain: true });
  }

  // ---------------------------------------------------------------------------------------------
  // Accepting items

  /** Queues an accepted item and wakes a worker when a batch is ready. Counts it as submitted. */
  private enqueue(item: T): void {
    const queue = this.queue;
    if (queue.length === 0) {
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
    queue.push(item);
    this.seqIn++;
    this.submitted++;
    if (
      this.idleWorkers.length > 0 &&
      (queue.length >= this.batchSize || this.flushIntervalMs === 0 || this.flushAll)
    ) {
      this.idleWorkers.pop()!();
    }
  }

  private overflowed(item: T, options: SubmitOptions | undefined): Promise<void> {
    switch (this.overflow) {
      case 'reject':
        return this.refuse(new QueueFullError(this.capacity, this.queue.length + this.inFlight));
      case 'drop-newest':
        this.submitted++;
        this.drop(item);
        return RESOLVED;
      case 'drop-oldest':
        if (this.queue.length > 0) {
          const evicted = this.queue.shift() as T;
          this.seqOut++;
          this.enqueue(item);
          this.drop(evicted);
        } else {
          // Everything held is in flight and cannot be taken back: the newest item is the one dropped.
          this.submitted++;
          this.drop(item);
        }
        return RESOLVED;
      default:
        return this.wait(item, options);
    }
  }

  private drop(item: T): void {
    this.dropped++;
    if (this.droppedSubject.observed) this.droppedSubject.next({ item, reason: 'overflow' });
  }

  /** Counts a refused submit and returns its rejection. */
  private refuse(error: unknown): Promise<void> {
    this.submitted++;
    this.rejected++;
    // The caller chose the abort reason; pass it through unchanged, as fetch does.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    return Promise.reject(error);
  }

  private wait(item: T, options: SubmitOptions | undefined): Promise<void> {
    const { signal, timeoutMs } = options ?? {};
    if (signal?.aborted) return this.refuse(signal.reason);
    return this.waiters.join(item, signal, timeoutMs);
  }

  /** Moves waiting submits into freed room and resolves waiting `ready()` calls, in arrival order. */
  private admitWaiters(): void {
    while (this.waiters.length > 0 && this.queue.length + this.inFlight + this.held < this.capacity) {
      const waiter = this.waiters.admitNext()!;
      if (waiter.item === READY) {
        this.held++;
        if (this.heldTimer === null) this.heldTimer = this.scheduler.schedule(() => this.releaseHeld(), 0);
      } else {
        this.enqueue(waiter.item);
      }
      waiter.resolve();
    }
  }

  /** Room held for resolved `ready()` calls whose callers did not come back goes to the next in line. */
  private releaseHeld(): void {
    this.heldTimer = null;
    if (this.held === 0) return;
    this.held = 0;
    if (this.waiters.length > 0 && this.stateCode < STOPPING) this.admitWaiters();
  }

  // ---------------------------------------------------------------------------------------------
  // Depth, levels and feedback

  /**
   * Called after every operation that may change the depth. Hot path: a comparison, a `nextLevel`
   * call and a few flag checks; nothing is allocated or emitted when nobody listens and the level
   * stays the same.
   */
  private depthChanged(): void {
    const depth = this.queue.length + this.inFlight;
    if (depth === this.depthSeen) return;
    this.depthSeen = depth;
    const previous = this.circuitHolding ? 'hard' : this.depthLevel;
    this.depthLevel = nextLevel(this.depthLevel, depth / this.capacity, this.watermarks);
    const level = this.circuitHolding ? 'hard' : this.depthLevel;
    const observed = this.depthSubject.observed;
    if (this.emitting) {
      // Re-entrant: queue behind the emission in progress.
      if (observed) this.pending.push(depth);
      if (level !== previous) {
        this.pending.push(this.levelChange(previous, level, reasonForTransition(previous, level)));
      }
      return;
    }
    if (level === previous) {
      this.reportedDepth = depth;
      if (observed) this.emitDepth(depth);
      return;
    }
    if (observed) this.pending.push(depth);
    this.pending.push(this.levelChange(previous, level, reasonForTransition(previous, level)));
    this.emitPending();
  }

  /** Emits one depth change with nothing else pending (the common case), then whatever it caused. */
  private emitDepth(depth: number): void {
    this.emitting = true;
    try {
      this.depthSubject.next(depth);
    } finally {
      this.emitting = false;
    }
    if (this.pending.length > 0) this.emitPending();
  }

  private levelChange(
    previousLevel: BackpressureLevel,
    level: BackpressureLevel,
    reason: FeedbackReason | null,
  ): PendingLevel {
    return { previousLevel, level, reason, queueSize: this.queue.length + this.inFlight };
  }

  /**
   * Emits queued changes in the order they happened. A subscriber that submits from inside an
   * emission (a re-entrant change) only queues its changes; they are emitted, each of them, once the
   * current emission has reached every subscriber. So subscribers see every depth and level in
   * order, and each event's `previousLevel` is the level of the event before.
   */
  private emitPending(): void {
    if (this.emitting) return;
    this.emitting = true;
    const pending = this.pending;
    try {
      for (let i = 0; i < pending.length; i++) {
        const change = pending[i]!;
        if (typeof change === 'number') {
          this.reportedDepth = change;
          this.depthSubject.next(change);
        } else {
          this.emittedLevel = change.level;
          if (change.level !== change.previousLevel) this.levelSubject.next(change.level);
          this.publish(change);
        }
      }
    } finally {
      pending.length = 0;
      this.emitting = false;
      // Changes nobody observed while emitting were not queued; the depth now is what a new
      // subscriber should get.
      this.reportedDepth = this.queue.length + this.inFlight;
    }
  }

  private publish(change: PendingLevel): void {
    if (this.bus === null && !this.feedbackSubject.observed) return;
    const event = createFeedbackEvent({
      coordinatorId: this.id,
      level: change.level,
      previousLevel: change.previousLevel,
      queueSize: change.queueSize,
      capacity: this.capacity,
      utilization: clampUtilization(change.queueSize / this.capacity),
      reason: change.reason,
      source: this.source,
      ts: this.scheduler.now(),
    });
    this.feedbackSubject.next(event);
    this.bus?.publish(event);
  }

  private onCircuitState(state: CircuitState): void {
    // Opening holds the level at 'hard' (a re-open after a failed probe is the same cause and
    // publishes nothing new); closing returns to the depth's own level. Both publish an event even
    // when the level does not change: the cause did. Half-open keeps the hold only while something
    // is held, which the probe will write; with nothing held no probe would ever run, and a producer
    // paused on 'hard' would never submit one: the hold is released (see releaseIdleHold).
    if (state === 'open') {
      if (!this.circuitHolding) {
        const previous = this.depthLevel;
        this.circuitHolding = true;
        this.pending.push(this.levelChange(previous, 'hard', 'circuit_open'));
        this.emitPending();
      }
    } else if (state === 'closed') {
      if (this.circuitHolding) this.releaseHold('circuit_closed');
    } else {
      this.releaseIdleHold();
    }
  }

  /** Half-open with nothing held: nothing can probe the sink, so the level stops holding 'hard'. */
  private releaseIdleHold(): void {
    if (
      this.circuitHolding &&
      this.queue.length + this.inFlight === 0 &&
      this.breaker?.state === 'half-open' &&
      this.stateCode !== STOPPED
    ) {
      this.releaseHold('circuit_half_open');
    }
  }

  /** Ends the breaker's hold: the level returns to the depth's own, with an event for the cause. */
  private releaseHold(reason: FeedbackReason): void {
    this.circuitHolding = false;
    this.pending.push(this.levelChange('hard', this.depthLevel, reason));
    this.emitPending();
  }

  // ---------------------------------------------------------------------------------------------
  // Workers

  private spawnWorkers(): void {
    for (let i = 0; i < this.workers; i++) void this.runWorker();
  }

  private wakeAll(): void {
    const idle = this.idleWorkers.splice(0);
    for (const wake of idle) wake();
  }

  /**
   * One worker: takes whole batches while there are any, then sleeps until `enqueue`, the flush
   * timer or `stop` wakes it. It never polls, and it consumes again at once after any idle time.
   */
  private async runWorker(): Promise<void> {
    for (;;) {
      const batch = this.takeBatch();
      if (batch !== null) {
        await this.process(batch);
        continue;
      }
      if (this.stateCode === STOPPED || (this.stateCode === STOPPING && this.queue.length === 0)) return;
      await new Promise<void>((resolve) => this.idleWorkers.push(resolve));
    }
  }

  /** A full batch, or a partial one once it is due (or when draining); `null` otherwise. */
  private takeBatch(): Batch<T> | null {
    const queue = this.queue;
    const length = queue.length;
    if (length === 0 || this.stateCode === STOPPED) return null;
    const now = this.scheduler.now();
    if (length < this.batchSize && !this.flushAll && this.flushIntervalMs > 0) {
      const deadline = this.headDeadline();
      if (now < deadline) {
        if (this.flushTimer === null) this.armFlush(deadline - now);
        return null;
      }
    }
    const items = queue.take(this.batchSize);
    this.seqOut += items.length;
    this.inFlight += items.length;
    this.needMark = true;
    // Drop the marks of items just taken, so that the marks never outnumber the queued items.
    this.headDeadline();
    const batch: Batch<T> = {
      items,
      takenAt: now,
      attempts: 0,
      settled: false,
      running: null,
      waitController: null,
    };
    this.batches.add(batch);
    if (queue.length > 0) {
      if (queue.length >= this.batchSize || this.flushAll || this.flushIntervalMs === 0) {
        this.idleWorkers.pop()?.();
      } else if (this.flushTimer === null) {
        const delay = this.headDeadline() - now;
        if (delay > 0) this.armFlush(delay);
        else this.idleWorkers.pop()?.();
      }
    }
    return batch;
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

  private armFlush(delay: number): void {
    this.flushTimer = this.scheduler.schedule(() => this.onFlushTimer(), delay);
  }

  private onFlushTimer(): void {
    this.flushTimer = null;
    if (this.queue.length === 0 || this.stateCode === STOPPED) return;
    const delay = this.headDeadline() - this.scheduler.now();
    // Due: wake a worker; if all are busy, the first to finish takes the partial batch.
    if (delay <= 0) this.idleWorkers.pop()?.();
    else this.armFlush(delay);
  }

  private async process(batch: Batch<T>): Promise<void> {
    try {
      await this.writeWithRetries(batch);
    } catch (error) {
      // Only a hostile policy or breaker gets here; the worker survives and the batch is not lost.
      if (!batch.settled) this.finish(batch, 'non_retryable', error);
    }
  }

  private async writeWithRetries(batch: Batch<T>): Promise<void> {
    const breaker = this.breaker;
    let lastError: unknown = undefined;
    for (;;) {
      let permit: CircuitPermit | null = null;
      if (breaker !== null) {
        permit = breaker.tryAcquire();
        if (permit === null) {
          try {
            permit = await breaker.acquire(this.waitSignal(batch));
          } catch (reason) {
            if (!batch.settled) this.finish(batch, 'shutdown', lastError ?? reason);
            return;
          }
          if (batch.settled) {
            breaker.release(permit);
            return;
          }
        }
      }
      batch.attempts++;
      const outcome = await this.attempt(batch);
      if (batch.settled) {
        // `stop` gave up on it meanwhile: the outcome says nothing about the sink.
        if (permit !== null) breaker!.release(permit);
        return;
      }
      if (outcome === undefined) {
        if (permit !== null) breaker!.recordSuccess(permit);
        this.finish(batch, null);
        return;
      }
      const error = outcome.error;
      lastError = error;
      this.writeErrors++;
      this.report({
        kind: 'write',
        coordinatorId: this.id,
        error,
        attempt: batch.attempts,
        size: batch.items.length,
      });
      if (!this.isRetryable(error)) {
        // A bad batch, not a down sink: the breaker does not count it.
        if (permit !== null) breaker!.release(permit);
        this.finish(batch, 'non_retryable', error);
        return;
      }
      if (permit !== null) breaker!.recordFailure(permit);
      if (batch.settled) return;
      if (batch.attempts >= this.retryPolicy.maxAttempts) {
        this.finish(batch, 'retries_exhausted', error);
        return;
      }
      if (this.noRetries) {
        this.finish(batch, 'shutdown', error);
        return;
      }
      const waited = await this.sleep(this.retryPolicy.backoffMs(batch.attempts), this.waitSignal(batch));
      if (batch.settled) return;
      if (!waited) {
        this.finish(batch, 'shutdown', error);
        return;
      }
    }
  }

  /**
   * One write: `undefined` on success, a `Failure` otherwise. Never waits past the write timeout or
   * an abort, even when the sink ignores its signal.
   */
  private attempt(batch: Batch<T>): Failure | undefined | Promise<Failure | undefined> {
    const context = new AttemptContext(batch.attempts);
    batch.running = context;
    let result: unknown;
    try {
      result = this.write(batch.items, context);
    } catch (error) {
      batch.running = null;
      return new Failure(error);
    }
    if (!isPromiseLike(result)) {
      batch.running = null;
      return undefined;
    }
    const pending = result;
    return new Promise<Failure | undefined>((resolve) => {
      let done = false;
      const settle = (value: Failure | undefined): void => {
        if (done) return;
        done = true;
        timer.unsubscribe();
        context.onAbort = null;
        batch.running = null;
        resolve(value);
      };
      context.onAbort = (reason) => settle(new Failure(reason));
      const timer = this.scheduler.schedule(
        () => context.abort(new WriteTimeoutError(this.writeTimeoutMs)),
        this.writeTimeoutMs,
      );
      try {
        pending.then(
          () => settle(undefined),
          (error: unknown) => settle(new Failure(error)),
        );
      } catch (error) {
        settle(new Failure(error));
      }
    });
  }

  private isRetryable(error: unknown): boolean {
    if (isWriteTimeoutError(error)) return true;
    try {
      return this.retryPolicy.isRetryable(error) === true;
    } catch (classifierError) {
      this.report({ kind: 'classifier', coordinatorId: this.id, error: classifierError });
      return false;
    }
  }

  /**
   * The signal that ends a batch's waits (backoff, breaker) at stop. One controller per waiting
   * batch rather than one shared signal, so that many workers waiting at once do not pile listeners
   * onto a single AbortSignal (Node warns past 10).
   */
  private waitSignal(batch: Batch<T>): AbortSignal {
    if (batch.waitController === null) {
      batch.waitController = new AbortController();
      if (this.waitsEnded !== null) batch.waitController.abort(this.waitsEnded);
    }
    return batch.waitController.signal;
  }

  /** Ends every wait on backoff or on the breaker, now and from now on. */
  private endWaits(reason: CoordinatorClosedError): void {
    if (this.waitsEnded !== null) return;
    this.waitsEnded = reason;
    for (const batch of this.batches) batch.waitController?.abort(reason);
  }

  /** Waits `ms`; resolves `false` at once when `signal` aborts. */
  private sleep(ms: number, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      let timer: Subscription | undefined = undefined;
      const onAbort = (): void => {
        timer?.unsubscribe();
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      timer = this.scheduler.schedule(
        () => {
          signal.removeEventListener('abort', onAbort);
          resolve(true);
        },
        // A custom policy may return anything: timers cannot wait longer than MAX_DELAY_MS.
        ms > 0 ? Math.min(ms, MAX_DELAY_MS) : 0,
      );
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Outcomes

  /** Settles a batch: written (`reason` null) or dead-lettered. Frees its room. */
  private finish(batch: Batch<T>, reason: DeadLetterReason | null, error?: unknown): void {
    if (batch.settled) return;
    batch.settled = true;
    this.batches.delete(batch);
    const size = batch.items.length;
    this.inFlight -= size;
    if (reason === null) {
      this.written += size;
      this.batchesWritten++;
    } else {
      this.deadLetter(batch.items, reason, error, batch.attempts);
    }
    this.recordWrite(size, batch.attempts, this.scheduler.now() - batch.takenAt, reason);
    this.roomFreed();
  }

  private roomFreed(): void {
    // Admit waiting submits before announcing the depth, so that a batch finishing under a full
    // 'block' coordinator does not make the level flap down and up again.
    if (this.waiters.length > 0 && this.stateCode < STOPPING) this.admitWaiters();
    this.depthChanged();
    // A probe handed back without an outcome (non-retryable error) leaves the breaker half-open.
    if (this.circuitHolding) this.releaseIdleHold();
    if (this.drainResolve !== null && this.queue.length + this.inFlight === 0) {
      const resolve = this.drainResolve;
      this.drainResolve = null;
      resolve();
    }
  }

  private recordWrite(
    size: number,
    attempts: number,
    durationMs: number,
    reason: DeadLetterReason | null,
  ): void {
    if (!this.writesSubject.observed) return;
    this.writesSubject.next(
      reason === null
        ? { coordinatorId: this.id, size, attempts, durationMs, outcome: 'written' }
        : { coordinatorId: this.id, size, attempts, durationMs, outcome: 'dead-lettered', reason },
    );
  }

  /** Hands items to the dead-letter queue; counts them as dead-lettered whatever the queue does. */
  private deadLetter(items: T[], reason: DeadLetterReason, error: unknown, attempts: number): void {
    this.deadLettered += items.length;
    if (reason === 'shutdown') this.shutdownDeadLettered += items.length;
    const record: DeadLetterRecord<T> = {
      ts: this.scheduler.now(),
      coordinatorId: this.id,
      reason,
      error: toErrorSummary(error),
      attempts,
      items,
    };
    let result: void | PromiseLike<void>;
    try {
      result = this.deadLetterQueue.put(record);
    } catch (putError) {
      this.deadLetterFailed(record, putError);
      return;
    }
    if (isPromiseLike(result)) {
      // Promise.resolve adopts hostile thenables too (a throwing `then` becomes a rejection).
      // A put that settles after `stop` gave up on it (abandonPuts) is no longer tracked: ignored.
      const tracked: Promise<void> = Promise.resolve(result).then(
        () => {
          this.pendingPuts.delete(tracked);
        },
        (putError: unknown) => {
          if (this.pendingPuts.delete(tracked)) this.deadLetterFailed(record, putError);
        },
      );
      this.pendingPuts.set(tracked, record);
    }
  }

  private deadLetterFailed(record: DeadLetterRecord<T>, error: unknown): void {
    this.deadLetterFailures++;
    this.unsaved.push(record);
    this.report({ kind: 'dead-letter', coordinatorId: this.id, error, record });
  }

  /**
   * At stop's deadline: records whose `put` has not settled are kept in memory, counted and reported
   * as failures, so that a `put` that never settles loses nothing.
   */
  private abandonPuts(timeoutMs: number): void {
    const records = [...this.pendingPuts.values()];
    this.pendingPuts.clear();
    for (const record of records) {
      this.deadLetterFailed(
        record,
        new CoordinatorClosedError(
          this.id,
          `Coordinator '${this.id}' stopped before its dead-letter queue stored a record: expected put to settle within stop's timeout (${timeoutMs} ms), found it still pending; the record is kept in unsavedDeadLetters.`,
        ),
      );
    }
  }

  /** Dead-letters every queued item, in batches of at most `batchSize`, with reason `'shutdown'`. */
  private deadLetterQueued(error: unknown): void {
    while (this.queue.length > 0) {
      const items = this.queue.take(this.batchSize);
      this.seqOut += items.length;
      this.deadLetter(items, 'shutdown', error, 0);
      this.recordWrite(items.length, 0, 0, 'shutdown');
    }
    this.depthChanged();
  }

  private report(report: CoordinatorErrorReport<T>): void {
    if (this.errorsSubject.observed) this.errorsSubject.next(report);
  }

  private closedError(): CoordinatorClosedError {
    return new CoordinatorClosedError(this.id);
  }

  // ---------------------------------------------------------------------------------------------
  // Stopping

  private async runStop(drain: boolean, timeoutMs: number): Promise<StopReport> {
    const startedAt = this.scheduler.now();
    const wasIdle = this.stateCode === IDLE;
    this.stateCode = STOPPING;
    const closed = this.closedError();
    // A new error for each: a submitMany refused here sets its own `accepted` on it.
    this.waiters.withdrawAll(() => this.closedError());

    if (drain) {
      this.flushAll = true;
      if (wasIdle && this.queue.length > 0) this.spawnWorkers();
      this.wakeAll();
    } else {
      this.noRetries = true;
      this.deadLetterQueued(closed);
      // Batches waiting on backoff or on the breaker are not writes in progress: they go now.
      this.endWaits(closed);
      this.wakeAll();
    }

    if (this.queue.length + this.inFlight > 0) {
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
      if (timedOut) this.giveUp(closed);
    }

    if (this.pendingPuts.size > 0) {
      // What is left of the one deadline; a 0 ms timer still lets puts that settle in microtasks in.
      const remaining = Math.max(0, startedAt + timeoutMs - this.scheduler.now());
      let timer: Subscription | undefined;
      await Promise.race([
        Promise.allSettled(this.pendingPuts.keys()),
        new Promise<void>((resolve) => {
          timer = this.scheduler.schedule(() => resolve(), remaining);
        }),
      ]);
      timer?.unsubscribe();
      if (this.pendingPuts.size > 0) this.abandonPuts(timeoutMs);
    }

    this.finalize(closed);
    return {
      drained: this.shutdownDeadLettered === 0,
      written: this.written,
      deadLettered: this.deadLettered,
      durationMs: this.scheduler.now() - startedAt,
    };
  }

  /** At the stop timeout: abort what is in flight and dead-letter everything left, at once. */
  private giveUp(reason: CoordinatorClosedError): void {
    this.noRetries = true;
    this.endWaits(reason);
    for (const batch of [...this.batches]) {
      const running = batch.running;
      this.finish(batch, 'shutdown', reason);
      running?.abort(reason);
    }
    this.deadLetterQueued(reason);
  }

  private finalize(reason: CoordinatorClosedError): void {
    this.stateCode = STOPPED;
    this.flushTimer?.unsubscribe();
    this.flushTimer = null;
    this.heldTimer?.unsubscribe();
    this.heldTimer = null;
    this.held = 0;
    this.endWaits(reason);
    this.breakerSubscription?.unsubscribe();
    this.breaker?.dispose(reason);
    // The disposed breaker holds nothing back any more: the level returns to the depth's own (0 held).
    if (this.circuitHolding) this.releaseHold('circuit_closed');
    this.wakeAll();
    this.depthSubject.complete();
    this.levelSubject.complete();
    this.feedbackSubject.complete();
    this.errorsSubject.complete();
    this.writesSubject.complete();
    this.droppedSubject.complete();
  }
}

function toSinkFunction<T>(sink: unknown): SinkFunction<T> {
  if (typeof sink === 'function') return sink as SinkFunction<T>;
  if (
    typeof sink === 'object' &&
    sink !== null &&
    typeof (sink as { write?: unknown }).write === 'function'
  ) {
    const target = sink as { write: SinkFunction<T> };
    return (batch, context) => target.write(batch, context);
  }
  throw new TypeError(
    `sink must be a function or an object with a write method, found ${describeValue(sink)}`,
  );
}

function checkSubmitOptions(options: SubmitOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`submit options must be an object, found ${describeValue(options)}`);
  }
  const { signal, timeoutMs } = options;
  if (timeoutMs !== undefined) assertDelay('timeoutMs', timeoutMs, 0);
  if (
    signal !== undefined &&
    (typeof signal !== 'object' || signal === null || typeof signal.addEventListener !== 'function')
  ) {
    throw new TypeError(`signal must be an AbortSignal, found ${describeValue(signal)}`);
  }
}
