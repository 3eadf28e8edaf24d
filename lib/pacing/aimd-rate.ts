import { Observable, asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import { compareLevels, type BackpressureLevel } from '../levels/backpressure-level.js';
import type { FeedbackEvent } from '../feedback/feedback-event.js';
import { assertDelayMs, assertNumber, assertPositiveNumber } from '../internal/validate.js';
import { assertObservable, createLevelTracker, followControl } from './level-input.js';

/**
 * Options of {@link aimdRate}. Rates are in values per second (any unit works, as long as it is
 * the same for all of them).
 *
 * @example
 * ```ts
 * const options: AimdRateOptions = { initial: 500, min: 10, max: 20_000, increase: 50, intervalMs: 500 };
 * ```
 */
export interface AimdRateOptions {
  /** Rate emitted on subscribe; within `[min, max]`. @default 100 */
  readonly initial?: number;
  /** Floor of the rate; a finite number `>= 0`. @default 1 (the floor `RateController` uses) */
  readonly min?: number;
  /** Ceiling of the rate; a finite number `>= min`. @default 10_000 */
  readonly max?: number;
  /** Added every `intervalMs` while the level is `ok`; a finite number `> 0`. @default 10 */
  readonly increase?: number;
  /** The control interval in ms; a number `> 0`, at most 2 147 483 647 (a timer's limit). @default 1_000 */
  readonly intervalMs?: number;
  /**
   * Multiplier applied when the level rises, and every `intervalMs` while `hard`; within (0, 1).
   * @default 0.5 (TCP's halving)
   */
  readonly decreaseFactor?: number;
}

/**
 * A rate that adapts to backpressure by AIMD (additive increase, multiplicative decrease), the
 * congestion control of TCP (RFC 5681: the window grows by a constant per round trip and halves on
 * loss) as Netflix's concurrency-limits library applies it to request limits (`AIMDLimit`). Feed
 * the result to `pace(rate$)` or `RateController.setRate`.
 *
 * - Emits `initial` on subscribe, then every change of the rate.
 * - Every `intervalMs` while the level is `ok`: adds `increase`, up to `max`.
 * - When the level rises (`ok` to `soft`, `ok` to `hard`, `soft` to `hard`): multiplies by
 *   `decreaseFactor` at once; then, while `hard`, again every `intervalMs`.
 * - While `soft`, and when the level falls from `hard` to `soft` (the queue is draining), the rate
 *   holds: cutting it again then would punish the recovery the last cuts produced.
 * - Never below `min`, never above `max`. The interval restarts at every level change.
 *
 * Input: feedback events (the worst latest level across coordinators, as `levelOf(feedback$)`; to
 * follow one coordinator, pass `levelOf(feedback$, id)`) or levels. Before the first input the
 * level is `ok`. Errors with the input (and with a `TypeError` for an input that is neither an
 * event nor a level); completing input keeps the last level, and the rate keeps adapting until
 * unsubscribed. Holds no values: constant memory (one level per coordinator id seen).
 *
 * Defaults: `decreaseFactor` 0.5 is TCP Reno's halving (Netflix's `AIMDLimit` uses 0.9, but it cuts
 * on every dropped request, whereas a level change here stands for many); `increase` 10 per
 * `intervalMs` 1 000 from `initial` 100 takes a producer from the floor back to the initial rate in
 * about ten seconds; `min` 1 matches `RateController`'s floor of 1 value per second.
 *
 * @param feedback$ Feedback events or levels.
 * @param options Rates, step and interval; see {@link AimdRateOptions}.
 * @param scheduler Times the control interval; pass a `TestScheduler` in tests. @default asyncScheduler
 * @throws RangeError or TypeError at call time for a bad option, naming it.
 * @example
 * ```ts
 * const rate$ = aimdRate(coordinator.feedback$, { initial: 1_000, max: 50_000, increase: 100 });
 * events$.pipe(pace(rate$, { burst: 100 }), submitTo(coordinator)).subscribe();
 * ```
 */
export function aimdRate(
  feedback$: Observable<FeedbackEvent | BackpressureLevel>,
  options?: AimdRateOptions,
  scheduler: SchedulerLike = asyncScheduler,
): Observable<number> {
  assertObservable('feedback$', feedback$);
  const {
    initial = 100,
    min = 1,
    max = 10_000,
    increase = 10,
    intervalMs = 1_000,
    decreaseFactor = 0.5,
  } = options ?? {};
  assertNumber('min', min, 0);
  assertNumber('max', max, min);
  assertNumber('initial', initial, min, max);
  assertPositiveNumber('increase', increase);
  assertDelayMs('intervalMs', intervalMs, { positive: true });
  assertPositiveNumber('decreaseFactor', decreaseFactor);
  if (decreaseFactor >= 1) {
    throw new RangeError(`decreaseFactor must be within (0, 1), found ${String(decreaseFactor)}`);
  }
  return new Observable<number>((subscriber) => {
    const toLevel = createLevelTracker();
    let level: BackpressureLevel = 'ok';
    let rate = initial;
    let timer: Subscription | null = null;
    const set = (next: number): void => {
      const clamped = Math.min(max, Math.max(min, next));
      if (clamped === rate) return;
      rate = clamped;
      subscriber.next(rate);
    };
    const arm = (): void => {
      timer?.unsubscribe();
      timer = null;
      if (level === 'soft' || subscriber.closed) return;
      timer = scheduler.schedule(() => {
        timer = null;
        set(level === 'ok' ? rate + increase : rate * decreaseFactor);
        if (timer === null) arm(); // unless a level change during `next` re-armed already
      }, intervalMs);
    };
    subscriber.add(() => timer?.unsubscribe());
    subscriber.next(initial);
    arm();
    followControl(subscriber, feedback$, (input) => {
      const next = toLevel(input);
      if (next === level) return;
      const rising = compareLevels(next, level) > 0;
      level = next;
      arm();
      if (rising) set(rate * decreaseFactor);
    });
  });
}
