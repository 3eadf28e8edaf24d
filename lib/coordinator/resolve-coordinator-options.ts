import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { resolveWatermarks, type ResolvedWatermarks } from '../levels/watermarks.js';
import { feedbackBus, type FeedbackBus } from '../feedback/feedback-bus.js';
import { OVERFLOW_STRATEGIES, type OverflowStrategy } from '../queue/bounded-queue.js';
import {
  assertDelayMs,
  assertInteger,
  assertNonEmptyString,
  assertOneOf,
  assertScheduler,
} from '../internal/validate.js';
import { describeValue } from '../internal/describe-value.js';
import { toRetryPolicy, type RetryPolicyLike } from '../retry/retry-policy.js';
import { CircuitBreaker } from '../circuit-breaker/circuit-breaker.js';
import type { DeadLetterQueue } from '../dead-letter/dead-letter-record.js';
import { MemoryDeadLetterQueue } from '../dead-letter/memory-dead-letter-queue.js';
import type { SinkFunction } from './sink.js';
import type { ReadyOptions, SubmitOptions, WriteCoordinatorOptions } from './write-coordinator-options.js';
import { resolveWeigh } from '../queue/weight-of.js';
import type { StopOptions } from './stop-report.js';
import { reserveDefaultId } from './coordinator-ids.js';
import { ConcurrencyLimit } from './concurrency-limit.js';

/**
 * @internal Every coordinator option, checked and with its default applied.
 *
 * @example
 * ```ts
 * const { capacity, workers } = resolveCoordinatorOptions({ sink });
 * ```
 */
export interface ResolvedCoordinatorOptions<T> {
  readonly write: SinkFunction<T>;
  readonly id: string;
  readonly capacity: number;
  /** The `weigh` option; `null` when every item weighs 1. */
  readonly weigh: ((item: T) => number) | null;
  /** Worker count: the fixed number, or the adaptive `max`. */
  readonly workers: number;
  /** The adaptive concurrency law, or `null` for a fixed worker count. */
  readonly concurrency: ConcurrencyLimit | null;
  /** `min(batchSize, capacity)`. */
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly overflow: OverflowStrategy;
  readonly watermarks: ResolvedWatermarks;
  readonly writeTimeoutMs: number;
  readonly retryPolicy: RetryPolicyLike;
  /** The breaker, on the coordinator's scheduler, or `null` for none. */
  readonly breaker: CircuitBreaker | null;
  readonly deadLetterQueue: DeadLetterQueue<T>;
  readonly bus: FeedbackBus | null;
  readonly source: string;
  readonly scheduler: SchedulerLike;
  readonly autoStart: boolean;
  /** Whether `id` is a default id reserved on the bus (freed at stop). */
  readonly reservedId: boolean;
}

/**
 * @internal Checks a coordinator's options and applies the defaults, all in one place.
 *
 * @throws TypeError or RangeError naming the bad option, the expected range and the value found.
 * @example
 * ```ts
 * const resolved = resolveCoordinatorOptions({ sink, capacity: 1_000 });
 * ```
 */
export function resolveCoordinatorOptions<T>(
  options: WriteCoordinatorOptions<T>,
): ResolvedCoordinatorOptions<T> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      `WriteCoordinator options must be an object with a sink, found ${describeValue(options)}`,
    );
  }
  const {
    sink,
    id,
    capacity = 10_000,
    workers,
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
    autoStart = true,
    weigh,
  } = options;
  const write = toSinkFunction<T>(sink);
  if (id !== undefined) assertNonEmptyString('id', id);
  const checkedCapacity = assertInteger('capacity', capacity, 1);
  const checkedWeigh = resolveWeigh<T>(weigh);
  // Each worker is a pending promise and a closure: more than can ever hold a batch is waste.
  const maxWorkers = Math.min(checkedCapacity, 1024);
  const concurrency =
    typeof workers === 'object' && workers !== null ? resolveAdaptiveWorkers(workers, maxWorkers) : null;
  const checkedWorkers =
    concurrency !== null
      ? concurrency.max
      : workers === undefined
        ? Math.min(4, maxWorkers)
        : assertWorkerCount(workers, maxWorkers);
  const checkedBatchSize = Math.min(assertInteger('batchSize', batchSize, 1), checkedCapacity);
  const checkedFlush = assertDelayMs('flushIntervalMs', flushIntervalMs);
  const checkedOverflow = assertOneOf('overflow', overflow, OVERFLOW_STRATEGIES);
  const resolvedWatermarks = resolveWatermarks(watermarks);
  assertDelayMs('writeTimeoutMs', writeTimeoutMs, { positive: true });
  const retryPolicy = toRetryPolicy(retry);
  assertScheduler('scheduler', scheduler);
  let breaker: CircuitBreaker | null;
  if (circuitBreaker === false) {
    breaker = null;
  } else if (
    circuitBreaker === undefined ||
    (typeof circuitBreaker === 'object' && circuitBreaker !== null)
  ) {
    breaker = new CircuitBreaker({ ...circuitBreaker, scheduler });
  } else {
    throw new TypeError(
      `circuitBreaker must be an options object or false, found ${describeValue(circuitBreaker)}`,
    );
  }
  let deadLetterQueue: DeadLetterQueue<T>;
  if (deadLetter === undefined) {
    deadLetterQueue = new MemoryDeadLetterQueue<T>();
  } else if (
    typeof deadLetter === 'object' &&
    deadLetter !== null &&
    typeof (deadLetter as Partial<DeadLetterQueue<T>>).put === 'function'
  ) {
    deadLetterQueue = deadLetter;
  } else {
    throw new TypeError(`deadLetter must be an object with a put method, found ${describeValue(deadLetter)}`);
  }
  let resolvedBus: FeedbackBus | null;
  if (bus === undefined) {
    resolvedBus = feedbackBus();
  } else if (
    bus === null ||
    (typeof bus === 'object' && typeof (bus as Partial<FeedbackBus>).publish === 'function')
  ) {
    resolvedBus = bus;
  } else {
    throw new TypeError(`bus must be a FeedbackBus or null, found ${describeValue(bus)}`);
  }
  if (typeof source !== 'string')
    throw new TypeError(`source must be a string, found ${describeValue(source)}`);
  if (typeof autoStart !== 'boolean') {
    throw new TypeError(`autoStart must be a boolean, found ${describeValue(autoStart)}`);
  }
  // Last, once every check passed: a reserved id is only freed by stop.
  const checkedId = id ?? reserveDefaultId(resolvedBus);
  return {
    write,
    id: checkedId,
    capacity: checkedCapacity,
    weigh: checkedWeigh,
    workers: checkedWorkers,
    concurrency,
    batchSize: checkedBatchSize,
    flushIntervalMs: checkedFlush,
    overflow: checkedOverflow,
    watermarks: resolvedWatermarks,
    writeTimeoutMs,
    retryPolicy,
    breaker,
    deadLetterQueue,
    bus: resolvedBus,
    source,
    scheduler,
    autoStart,
    reservedId: id === undefined,
  };
}

/**
 * @internal Checks the options of `submit` and `submitMany`.
 *
 * @throws TypeError or RangeError naming the bad option.
 * @example
 * ```ts
 * checkSubmitOptions({ timeoutMs: 1_000 });
 * ```
 */
export function checkSubmitOptions(options: SubmitOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`submit options must be an object, found ${describeValue(options)}`);
  }
  const { signal, timeoutMs } = options;
  if (timeoutMs !== undefined) assertDelayMs('timeoutMs', timeoutMs);
  if (
    signal !== undefined &&
    (typeof signal !== 'object' || signal === null || typeof signal.addEventListener !== 'function')
  ) {
    throw new TypeError(`signal must be an AbortSignal, found ${describeValue(signal)}`);
  }
}

/**
 * @internal Checks the options of `ready`: those of `submit`, and `weight`.
 *
 * @throws TypeError or RangeError naming the bad option.
 * @example
 * ```ts
 * checkReadyOptions({ weight: 4_096 });
 * ```
 */
export function checkReadyOptions(options: ReadyOptions): void {
  checkSubmitOptions(options);
  if (options.weight !== undefined) assertInteger('weight', options.weight, 0);
}

/**
 * @internal Checks the options of `stop` and applies their defaults.
 *
 * @throws TypeError or RangeError naming the bad option.
 * @example
 * ```ts
 * const { drain, timeoutMs } = resolveStopOptions({ timeoutMs: 5_000 });
 * ```
 */
export function resolveStopOptions(options: StopOptions): { drain: boolean; timeoutMs: number } {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`stop options must be an object, found ${describeValue(options)}`);
  }
  const { drain = true, timeoutMs = 10_000 } = options;
  if (typeof drain !== 'boolean')
    throw new TypeError(`drain must be a boolean, found ${describeValue(drain)}`);
  assertDelayMs('timeoutMs', timeoutMs);
  return { drain, timeoutMs };
}

function assertWorkerCount(workers: unknown, maxWorkers: number): number {
  if (typeof workers !== 'number') {
    throw new TypeError(
      `workers must be an integer or an object { min, max, initial? }, found ${describeValue(workers)}`,
    );
  }
  return assertInteger('workers', workers, 1, maxWorkers);
}

/** `workers: { min, max, initial? }`: integers with `1 <= min <= initial <= max <= maxWorkers`. */
function resolveAdaptiveWorkers(workers: object, maxWorkers: number): ConcurrencyLimit {
  const { min, max, initial } = workers as { min?: unknown; max?: unknown; initial?: unknown };
  const checkedMin = assertInteger('workers.min', min, 1, maxWorkers);
  const checkedMax = assertInteger('workers.max', max, checkedMin, maxWorkers);
  const checkedInitial =
    initial === undefined ? checkedMin : assertInteger('workers.initial', initial, checkedMin, checkedMax);
  return new ConcurrencyLimit({ min: checkedMin, max: checkedMax, initial: checkedInitial });
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
