import type { Observable } from 'rxjs';
import type { BackpressureLevel } from '../levels/backpressure-level.js';
import type { ResolvedWatermarks } from '../levels/watermarks.js';
import type { FeedbackEvent } from '../feedback/feedback-event.js';
import type { Dropped, OverflowStrategy } from '../queue/bounded-queue.js';
import { CoordinatorClosedError } from '../errors/coordinator-closed-error.js';
import type { RetryPolicyLike } from '../retry/retry-policy.js';
import type { DeadLetterQueue, DeadLetterRecord } from '../dead-letter/dead-letter-record.js';
import type { ReadyOptions, SubmitOptions, WriteCoordinatorOptions } from './write-coordinator-options.js';
import type { CoordinatorHealth, CoordinatorState } from './coordinator-health.js';
import type { StopOptions, StopReport } from './stop-report.js';
import type { WriteRecord } from './write-record.js';
import type { CoordinatorErrorReport } from './coordinator-error-report.js';
import { resolveCoordinatorOptions, resolveStopOptions } from './resolve-coordinator-options.js';
import { drainRateOf } from './drain-rate.js';
import { claimCoordinatorId } from './coordinator-ids.js';
import { IDLE, RUNNING, STATE_NAMES, STOPPED, heldItems, type CoordinatorCore } from './coordinator-core.js';
import { wireCoordinator } from './wire-coordinator.js';
import * as submission from './submission.js';
import { beginStop, drainedWithin, finalize, giveUpHeld, stopReport, totalsOf } from './stop-sequence.js';
import type { AsyncDisposableLike } from '../internal/platform-types.js';

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
  /** Most items held at once, queued plus in flight; with `weigh`, the most weight. */
  readonly capacity: number;
  /** Worker count (the `workers` option; its `max` when adaptive). */
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

  /** Items held (queued plus in flight; with `weigh`, their weight): the depth on subscribe, then every change. Completes at stop. */
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
   * Items written per second: an exponentially weighted moving average over `writes$` (1 s time
   * constant, bias-corrected), sampled every 100 ms on the coordinator's scheduler. Emits 0 on
   * subscribe, then one estimate per sample, each subscription from its own start on its own timer,
   * until unsubscribed or stopped (then it completes). Feed it to `matchDrainRate`.
   *
   * @example
   * ```ts
   * coordinator.drainRate$.subscribe((perSecond) => gauge.set(perSecond));
   * ```
   */
  readonly drainRate$: Observable<number>;

  // Parts and shared state, worked on by submission.ts, batch-settlement.ts and stop-sequence.ts.
  private readonly core: CoordinatorCore<T>;
  private stopPromise: Promise<StopReport> | null = null;

  /** @throws TypeError or RangeError naming the bad option, the expected range and the value found. */
  constructor(options: WriteCoordinatorOptions<T>) {
    const resolved = resolveCoordinatorOptions(options);
    this.id = resolved.id;
    this.capacity = resolved.capacity;
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
    const core = (this.core = wireCoordinator(resolved, () => this.start()));
    this.depth$ = core.signal.depth$;
    this.level$ = core.signal.level$;
    this.feedback$ = core.signal.feedback$;
    this.errors$ = core.reports.errors$;
    this.writes$ = core.counters.writes$;
    this.drainRate$ = drainRateOf(this.writes$, resolved.scheduler);
    this.dropped$ = core.reports.dropped$;
  }

  /** Where the coordinator is in its lifecycle. */
  get state(): CoordinatorState {
    return STATE_NAMES[this.core.lifecycle]!;
  }

  /** The depth's own level, or `'hard'` while the breaker holds it (open; half-open while items are held). */
  get level(): BackpressureLevel {
    return this.core.signal.level;
  }

  /** Dead-letter records the queue failed to store (`put` threw or rejected), each reported on `errors$`. */
  get unsavedDeadLetters(): readonly DeadLetterRecord<T>[] {
    return this.core.outbox.unsaved.slice();
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
    const core = this.core;
    if (core.lifecycle === RUNNING) return;
    if (core.lifecycle !== IDLE) {
      throw new CoordinatorClosedError(
        this.id,
        `Coordinator '${this.id}' cannot start: expected a coordinator that was never stopped, found one that was ${this.state}.`,
      );
    }
    // Two live coordinators with one id on one bus would overwrite each other's level there.
    if (core.bus !== null) claimCoordinatorId(core.bus, this.id);
    core.claimedId = core.bus !== null;
    core.lifecycle = RUNNING;
    core.pool.start();
  }

  /**
   * Hands one item to the coordinator. When there is room the item is accepted before this returns
   * and the promise is already resolved; a full coordinator applies its overflow strategy: `'block'`
   * waits for room (first come first served), `'reject'` rejects with `QueueFullError`, the drop
   * strategies resolve and count the discarded item.
   *
   * @throws (rejects) `CoordinatorClosedError` once `stop` was called (also for waits pending then);
   *   `QueueFullError` under `'reject'`; the signal's reason on abort; `QueueTimeoutError` after
   *   `timeoutMs`; with `weigh`, `ItemTooHeavyError` (counted as rejected) for an item heavier than
   *   `capacity`, and what `weigh` threw or a `RangeError` for a bad weight (not counted). Rejects
   *   with a `RangeError` / `TypeError` for bad options.
   * @example
   * ```ts
   * for await (const tick of ticks) await coordinator.submit(tick);
   * ```
   */
  submit(item: T, options?: SubmitOptions): Promise<void> {
    return submission.submit(this.core, item, options);
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
  submitMany(items: Iterable<T>, options?: SubmitOptions): Promise<void> {
    return submission.submitMany(this.core, items, options);
  }

  /**
   * Hands one item to the coordinator if that needs no waiting, without a promise. Returns `true`
   * when the item was accepted (there was room), or, under `'drop-oldest'` / `'drop-newest'` when
   * full, accepted with the drop counted and reported on `dropped$` as `submit` does. Returns
   * `false` when full under `'block'` or `'reject'` (or while earlier callers wait for room):
   * nothing is counted, the item stays with the caller, who can `await ready()` and try again.
   * The cheapest way in: no allocation per item. Starts an idle coordinator as `submit` does.
   *
   * @throws CoordinatorClosedError once `stop` was called; with `weigh`, what `weigh` threw, a
   *   `RangeError` for a bad weight or `ItemTooHeavyError`, counting nothing.
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
    return submission.trySubmit(this.core, item);
  }

  /**
   * Resolves once {@link trySubmit} would accept an item: at once if it would now (as p-queue's
   * `onSizeLessThan`), otherwise when room is freed, first come first served with submits waiting
   * for room. A `ready()` that had to wait holds the room it was resolved for until its caller's
   * next `trySubmit` (or the scheduler's next tick, if the caller never comes back), so the
   * `if (!trySubmit(x)) { await ready(); trySubmit(x); }` form does not lose its item to a blocked
   * `submit` behind it. Producers racing for the same room loop: `while (!c.trySubmit(x)) await
   * c.ready();`. Under a drop strategy it resolves at once. Nothing is counted (no item). With
   * `weigh`, pass the coming item's `{ weight }`: it waits until that much room is free.
   *
   * @throws (rejects) `CoordinatorClosedError` once `stop` was called (also for calls still waiting
   *   then); the signal's reason on abort; `QueueTimeoutError` after `timeoutMs`;
   *   `ItemTooHeavyError` for a `weight` above `capacity`. Throws a `RangeError` / `TypeError` at
   *   once for bad options.
   * @example
   * ```ts
   * await coordinator.ready({ timeoutMs: 5_000 }); // room for at least one more item
   * ```
   */
  ready(options?: ReadyOptions): Promise<void> {
    return submission.ready(this.core, options);
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
    const { counters, writer, queue, breaker, signal, lifecycle, pool } = this.core;
    return counters.health({
      id: this.id,
      state: this.state,
      workers: this.workers,
      concurrencyLimit: pool.limit,
      busyWorkers: writer.held,
      queueSize: queue.length,
      inFlight: writer.inFlight,
      queuedWeight: queue.weight,
      inFlightWeight: writer.inFlightWeight,
      capacity: this.capacity,
      level: signal.level,
      // After stop the breaker is disposed and holds nothing back.
      circuitState: lifecycle === STOPPED ? 'closed' : (breaker?.state ?? 'closed'),
      timeInLevelMs: signal.timeInLevel(),
    });
  }

  /**
   * Stops the coordinator; final. New submits are refused at once, waiting ones reject with
   * `CoordinatorClosedError`. With `drain` (default) partial batches are written at once and `stop`
   * waits up to `timeoutMs` (an open breaker included) for everything to be written. Without `drain`
   * queued items are dead-lettered at once and writes in progress get up to `timeoutMs`, without
   * new retries. At the timeout writes in progress are aborted and everything left is dead-lettered
   * (`'shutdown'`) without waiting for the sink. The dead-letter queue gets what is left of the same
   * deadline to store its records; one still not stored is kept in `unsavedDeadLetters`, counted in
   * `deadLetterFailures` and reported on `errors$`. Then the Observables complete. Works before
   * `start` too. A second call returns the first call's promise (its options are not even checked).
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

  /** The stop sequence, one deadline for all of it; with nothing held it finishes in this tick. */
  private async runStop(drain: boolean, timeoutMs: number): Promise<StopReport> {
    const core = this.core;
    const startedAt = core.scheduler.now();
    const before = totalsOf(core.counters);
    const closed = beginStop(core, drain);
    if (heldItems(core) > 0 && !(await drainedWithin(core, timeoutMs))) giveUpHeld(core, closed);
    if (core.outbox.pending > 0) {
      await core.outbox.settle(Math.max(0, startedAt + timeoutMs - core.scheduler.now()), timeoutMs);
    }
    finalize(core, closed);
    return stopReport(core.counters, before, core.scheduler.now() - startedAt);
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
