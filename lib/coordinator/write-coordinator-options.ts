import type { SchedulerLike } from 'rxjs';
import type { OverflowStrategy } from '../queue/bounded-queue.js';
import type { Watermarks } from '../levels/watermarks.js';
import type { RetryOptions, RetryPolicyLike } from '../retry/retry-policy.js';
import type { CircuitBreakerOptions } from '../circuit-breaker/circuit-breaker.js';
import type { DeadLetterQueue } from '../dead-letter/dead-letter-record.js';
import type { FeedbackBus } from '../feedback/feedback-bus.js';
import type { Sink, SinkFunction } from './sink.js';
import type { AbortSignalLike } from '../internal/platform-types.js';

/**
 * Options of a `WriteCoordinator`. Only `sink` is required; the defaults are those of the Python market-data store's
 * Phase 6.0A backpressure feedback.
 *
 * @example
 * ```ts
 * const options: WriteCoordinatorOptions<Row> = {
 *   sink: (batch, { signal }) => db.insert(batch, { signal }),
 *   id: 'rows',
 *   capacity: 50_000,
 *   batchSize: 1_000,
 *   retry: { maxAttempts: 3 },
 *   circuitBreaker: false,
 * };
 * ```
 */
export interface WriteCoordinatorOptions<T> {
  /** Where batches are written: an object with `write(batch, context)` or a function. Required. */
  readonly sink: Sink<T> | SinkFunction<T>;
  /**
   * Names the coordinator in events, records and errors. A non-empty string. Two started
   * coordinators may not share an id on one bus (`start` throws `DuplicateCoordinatorIdError`).
   * @default 'default', or 'default-2', 'default-3', ... when that is taken on the bus
   */
  readonly id?: string;
  /**
   * Most items held at once, queued plus in flight; with `weigh`, the most weight (bytes, rows). An
   * integer `>= 1`. @default 10000
   */
  readonly capacity?: number;
  /**
   * Counts capacity by weight instead of by item, as the `size` of a WHATWG `QueuingStrategy` does:
   * `capacity`, the depth (`depth$`, feedback events' `queueSize`), the watermarks, the level and
   * `utilization` all count the sum of the weights of the items held. Called once per submitted
   * item, before it is admitted; it must return an integer `>= 0` (a safe integer; so sums stay
   * exact), or the submit rejects (`trySubmit` throws) with a TypeError / RangeError, and what it
   * throws reaches the caller the same way; in both cases nothing is counted. An item heavier than
   * `capacity` is refused with `ItemTooHeavyError`. `batchSize` still counts items, and a batch goes
   * out early when an item does not fit. Without it every item weighs 1, at no cost per item.
   * @default undefined (every item weighs 1)
   *
   * @example
   * ```ts
   * // At most 64 MiB of payloads held, whatever their number.
   * new WriteCoordinator<Buffer>({ sink: uploadChunks, capacity: 64 * 1024 * 1024, weigh: (b) => b.byteLength });
   * ```
   */
  readonly weigh?: (item: T) => number;
  /**
   * Concurrent writers. One keeps order; several may finish out of order. An integer from 1 to
   * `min(capacity, 1024)`, or {@link AdaptiveWorkers} `{ min, max, initial? }` to let the
   * coordinator find how many writes at once the sink takes best (see docs/coordinator.md,
   * "Adaptive concurrency"). @default 4 (capped at capacity)
   */
  readonly workers?: number | AdaptiveWorkers;
  /** Most items per batch (capped at `capacity`). An integer `>= 1`. @default 500 */
  readonly batchSize?: number;
  /**
   * A partial batch is written at most this long after its oldest item was accepted, in ms (it may
   * go sooner: see docs/coordinator.md). A finite number within `[0, 2147483647]` (`MAX_DELAY_MS`,
   * the longest timer delay; 0 writes whatever is queued at once). @default 250
   */
  readonly flushIntervalMs?: number;
  /** What a full coordinator does with a new item. @default 'block' */
  readonly overflow?: OverflowStrategy;
  /** Level thresholds, fractions of capacity. @default DEFAULT_WATERMARKS */
  readonly watermarks?: Watermarks;
  /**
   * A write still running after this many ms is aborted and fails with `WriteTimeoutError`. A finite
   * number within `(0, 2147483647]` (`MAX_DELAY_MS`). @default 30000
   */
  readonly writeTimeoutMs?: number;
  /**
   * Retry options, or a policy object of your own.
   * @default { maxAttempts: 5, initialBackoffMs: 50, maxBackoffMs: 2000, multiplier: 2, jitter: true, isRetryable: defaultIsRetryable }
   */
  readonly retry?: RetryOptions | RetryPolicyLike;
  /**
   * Circuit breaker options, or `false` for none (`halfOpenAfterMs` at most `MAX_DELAY_MS`).
   * @default { failureThreshold: 5, halfOpenAfterMs: 60000 }
   */
  readonly circuitBreaker?: Omit<CircuitBreakerOptions, 'scheduler'> | false;
  /** Where batches that cannot be written go. @default new MemoryDeadLetterQueue<T>() */
  readonly deadLetter?: DeadLetterQueue<T>;
  /** Bus the feedback events are published on; `null` publishes nowhere (`feedback$` still works). @default feedbackBus() */
  readonly bus?: FeedbackBus | null;
  /** The `source` field of feedback events. @default 'coordinator' */
  readonly source?: string;
  /**
   * Whether the first `submit` starts an idle coordinator, as p-queue does. With `false`, items
   * are accepted (up to capacity) and written once `start()` is called. @default true
   */
  readonly autoStart?: boolean;
  /**
   * Clock and timers for the flush interval, backoff waits, write timeouts, the breaker and `stop`'s
   * timeout. @default asyncScheduler
   */
  readonly scheduler?: SchedulerLike;
}

/**
 * Adaptive worker concurrency: the number of writes running at once moves between `min` and `max`,
 * additive increase while write latency holds near its smoothed minimum, multiplicative decrease
 * when it climbs past 1.5 times that minimum or a write fails with a retryable error or a timeout
 * (AIMD, as in Netflix concurrency-limits and Vector's adaptive request concurrency). The first
 * `min` writes run at `min`, to measure the unloaded latency; then the limit starts at `initial`.
 * Integers with `1 <= min <= initial <= max <= min(capacity, 1024)`. `health().concurrencyLimit` and
 * each `writes$` record report the limit in force.
 *
 * @example
 * ```ts
 * const coordinator = new WriteCoordinator<Row>({
 *   sink: (batch, { signal }) => db.insert(batch, { signal }),
 *   workers: { min: 1, max: 32, initial: 4 },
 * });
 * coordinator.writes$.subscribe((w) => gauge.set(w.concurrencyLimit));
 * ```
 */
export interface AdaptiveWorkers {
  /** Fewest writes at once; the limit never goes below it. An integer `>= 1`. */
  readonly min: number;
  /** Most writes at once (and the number of workers). An integer within `[min, min(capacity, 1024)]`. */
  readonly max: number;
  /** The limit once the unloaded latency is measured. An integer within `[min, max]`. @default min */
  readonly initial?: number;
}

/**
 * Options of a coordinator's `submit` and `submitMany`; they only matter when a `'block'`
 * coordinator is full and the call has to wait for room.
 *
 * @example
 * ```ts
 * await coordinator.submit(row, { timeoutMs: 1_000, signal: request.signal });
 * ```
 */
export interface SubmitOptions {
  /** Aborting it withdraws a waiting submit, which rejects with the signal's reason. */
  readonly signal?: AbortSignalLike;
  /**
   * Longest wait for room in ms, then the submit rejects with `QueueTimeoutError`. A finite number
   * within `[0, 2147483647]` (`MAX_DELAY_MS`). @default unlimited
   */
  readonly timeoutMs?: number;
}

/**
 * Options of a coordinator's `ready`: those of {@link SubmitOptions}, and the weight to wait room for.
 *
 * @example
 * ```ts
 * const weight = payload.byteLength;
 * while (!uploads.trySubmit(payload)) await uploads.ready({ weight });
 * ```
 */
export interface ReadyOptions extends SubmitOptions {
  /**
   * The room to wait for, in the coordinator's weight units: pass the weight of the item you will
   * `trySubmit` when the coordinator has a `weigh` option (otherwise `ready` resolves as soon as one
   * unit is free, and a heavier item still does not fit). An integer `>= 0`. @default 1
   */
  readonly weight?: number;
}
