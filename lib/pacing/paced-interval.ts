import { Observable, asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import type { BackpressureLevel } from '../levels/backpressure-level.js';
import { assertMsOrPause, assertObservable, checkLevel, followControl } from './level-input.js';

/**
 * Periods of {@link pacedInterval} per level, in ms (`> 0` and at most 2 147 483 647, the longest
 * timer delay), or `'pause'` for no ticks.
 *
 * @example
 * ```ts
 * const periods: PacedIntervalPeriods = { ok: 1_000, soft: 5_000, hard: 'pause' };
 * ```
 */
export interface PacedIntervalPeriods {
  /** Period at level `ok`. @default 100 */
  readonly ok?: number | 'pause';
  /** Period at level `soft`. @default 250 */
  readonly soft?: number | 'pause';
  /** Period at level `hard`. @default 'pause' */
  readonly hard?: number | 'pause';
}

/**
 * A polling source that paces itself: emits 0, 1, 2, ... like `interval`, at the period of the
 * current backpressure level, and not at all while the level's period is `'pause'`. For producers
 * that pull (REST polling, database cursors): `switchMap` or `exhaustMap` each tick to a fetch.
 *
 * - Like `interval`, the first tick comes one period after subscription. Each next tick is due one
 *   period (of the level current then) after the previous tick. When the level changes, the pending
 *   tick is re-timed with the new period, and falls due at once if that moment has passed; so a
 *   pause longer than a period ends with an immediate tick, then the rhythm resumes.
 * - The level is `ok` until `level$` first emits. `level$` erroring (or emitting something that is
 *   not a level) errors the output; `level$` completing keeps the last level. It never completes
 *   by itself: unsubscribe (or `take`) to stop, which cancels the pending tick.
 *
 * Holds no values: its memory is constant. It is a source, so "lossless" does not apply; ticks
 * that would have come during a pause are skipped, not queued.
 *
 * @param level$ The backpressure level to follow.
 * @param periods Period per level in ms, or `'pause'`.
 * @param scheduler Times the ticks; pass a `TestScheduler` in tests. @default asyncScheduler
 * @throws RangeError or TypeError at call time for a bad period, naming it.
 * @example
 * ```ts
 * pacedInterval(levelOf(feedback$, 'orders'), { ok: 1_000, soft: 5_000, hard: 'pause' })
 *   .pipe(exhaustMap(() => fetchNewOrders()), concatMap((orders) => coordinator.submitMany(orders)))
 *   .subscribe();
 * ```
 */
export function pacedInterval(
  level$: Observable<BackpressureLevel>,
  periods?: PacedIntervalPeriods,
  scheduler: SchedulerLike = asyncScheduler,
): Observable<number> {
  assertObservable('level$', level$);
  const { ok = 100, soft = 250, hard = 'pause' } = periods ?? {};
  const periodOf: Readonly<Record<BackpressureLevel, number | 'pause'>> = {
    ok: assertMsOrPause('ok', ok, false),
    soft: assertMsOrPause('soft', soft, false),
    hard: assertMsOrPause('hard', hard, false),
  };
  return new Observable<number>((subscriber) => {
    let level: BackpressureLevel = 'ok';
    let anchor = scheduler.now();
    let count = 0;
    let timer: Subscription | null = null;
    const arm = (): void => {
      timer?.unsubscribe();
      timer = null;
      const period = periodOf[level];
      if (period === 'pause' || subscriber.closed) return;
      const delay = Math.max(0, anchor + period - scheduler.now());
      timer = scheduler.schedule(() => {
        timer = null;
        anchor = scheduler.now();
        subscriber.next(count++);
        // A level change during `next` has re-armed already; re-arming again is harmless.
        arm();
      }, delay);
    };
    subscriber.add(() => timer?.unsubscribe());
    followControl(subscriber, level$, (value) => {
      const next = checkLevel('level$', value);
      if (next === level) return;
      level = next;
      arm();
    });
    if (timer === null) arm();
  });
}
