import type { SchedulerLike, Subscription } from 'rxjs';
import type { Admission } from '../queue/admission.js';
import type { CircuitBreaker } from '../circuit-breaker/circuit-breaker.js';
import type { FeedbackBus } from '../feedback/feedback-bus.js';
import type { CoordinatorState } from './coordinator-health.js';
import type { CoordinatorCounters } from './coordinator-counters.js';
import type { CoordinatorReports } from './coordinator-reports.js';
import type { BatchQueue } from './batch-queue.js';
import type { WorkerPool } from './worker-pool.js';
import type { Batch, BatchWriter } from './batch-writer.js';
import type { DeadLetterOutbox } from './dead-letter-outbox.js';
import type { PressureSignal } from './pressure-signal.js';

// The lifecycle as small integers: `lifecycle >= STOPPING` is the hot-path check in `submit`.
/** @internal Created, not started. */
export const IDLE = 0;
/** @internal Started: workers take batches. */
export const RUNNING = 1;
/** @internal `stop` was called: submits are refused, what is held drains or is dead-lettered. */
export const STOPPING = 2;
/** @internal Final: streams completed, breaker disposed, id released. */
export const STOPPED = 3;
/** @internal The public name of each lifecycle code. */
export const STATE_NAMES: readonly CoordinatorState[] = ['idle', 'running', 'stopping', 'stopped'];

/**
 * @internal One coordinator's state: its parts and the few fields they share. The facade
 * (`WriteCoordinator`) owns one, built by `wireCoordinator`; the submission path, batch settlement
 * and the stop sequence are free functions over it, as Node's writable streams keep one
 * `WritableState` and small functions (`onwrite`, `finishMaybe`).
 *
 * @example
 * ```ts
 * const core = wireCoordinator(resolveCoordinatorOptions({ sink }), () => undefined);
 * heldItems(core); // 0
 * ```
 */
export interface CoordinatorCore<T> {
  readonly id: string;
  readonly scheduler: SchedulerLike;
  readonly batchSize: number;
  readonly autoStart: boolean;
  readonly bus: FeedbackBus | null;
  /** Whether `id` is a default id reserved on the bus (freed at stop). */
  readonly reservedId: boolean;
  readonly breaker: CircuitBreaker | null;
  /** The level's subscription to the breaker's state (ended at stop). */
  breakerSubscription: Subscription | null;
  readonly counters: CoordinatorCounters;
  readonly reports: CoordinatorReports<T>;
  readonly queue: BatchQueue<T>;
  // Capacity bounds queued plus in flight, and blocked submits are admitted (FIFO) when a batch
  // *finishes*, not when it is taken: the admission counts `heldItems` as held.
  readonly admission: Admission<T>;
  readonly pool: WorkerPool<Batch<T>>;
  readonly writer: BatchWriter<T>;
  readonly outbox: DeadLetterOutbox<T>;
  readonly signal: PressureSignal;
  /** `IDLE`, `RUNNING`, `STOPPING` or `STOPPED`. */
  lifecycle: number;
  /**
   * How many more items `trySubmit` and `submit` may put straight into the queue, one each, with
   * nothing to check and no level to work out: running, nobody waiting, room left, and the level
   * the same all the way. Set by `refreshSteadyRoom` after each depth change the full path
   * handles; set to 0 (`closeSteadyRoom`) before anything else changes what it promised (a batch
   * settling, a wait joining, a new `depth$` subscriber, stop). Always 0 with `weigh`.
   */
  steadyRoom: number;
  /** `steadyRoom` for a coordinator with `weigh`, in weight: items of weight up to it come in that way. */
  steadyWeight: number;
  /** Whether `depth$` had subscribers when `steadyRoom` was worked out: the fast path emits each depth. */
  depthObserved: boolean;
  /** Whether `start` claimed `id` on the bus (released at stop). */
  claimedId: boolean;
  /** Set while a stop waits for the drain: called once nothing is held any more. */
  drained: (() => void) | null;
  /** The facade's `start`, for the first submit of an auto-started coordinator. */
  readonly start: () => void;
}

/**
 * @internal Items held: queued plus in flight, what capacity bounds and the depth reports.
 *
 * @example
 * ```ts
 * if (heldItems(core) === 0) core.drained?.();
 * ```
 */
export function heldItems<T>(core: CoordinatorCore<T>): number {
  return core.queue.length + core.writer.inFlight;
}

/**
 * @internal The weight held, queued plus in flight: what capacity, depth and levels count (the
 * same as `heldItems` unless items are weighed).
 *
 * @example
 * ```ts
 * const depth = heldWeight(core);
 * ```
 */
export function heldWeight<T>(core: CoordinatorCore<T>): number {
  return core.queue.weight + core.writer.inFlightWeight;
}
