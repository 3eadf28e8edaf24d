import {
  Observable,
  asyncScheduler,
  distinctUntilChanged,
  map,
  scan,
  type OperatorFunction,
  pipe,
  type SchedulerLike,
} from 'rxjs';
import type { BackpressureLevel } from './backpressure-level.js';
import { LevelDwell } from './level-dwell.js';
import { nextLevel, resolveWatermarks, type Watermarks } from './watermarks.js';
import { assertPositiveNumber } from '../internal/validate.js';

/**
 * Turns a stream of queue depths into backpressure levels, with hysteresis.
 *
 * Utilization is `depth / capacity`. Rising: at or above `hard` gives `'hard'`; from `'ok'`, at or
 * above `soft` gives `'soft'`. Falling: `'hard'` holds until below `hardExit`, then becomes `'soft'`
 * (or `'ok'` if also below `softExit`); `'soft'` holds until below `softExit`. The first depth always
 * yields a level (starting from `'ok'`); after that only changes are emitted. Built from `scan` +
 * `distinctUntilChanged`, synchronous, and stateless across subscriptions.
 *
 * With `watermarks.minDwellMs` above 0, a level once entered is held at least that long before it
 * falls to a milder one (a worse level is entered at once). A fall held back is re-evaluated on
 * `scheduler` when the dwell ends, against the latest depth, so the level comes down even if no
 * further depth arrives. Completion and errors pass through at once; a pending re-evaluation is
 * cancelled then.
 *
 * A depth that is not a finite number `>= 0` errors the stream with a `RangeError`.
 *
 * @param capacity The depth that means 100 % utilization; a finite number `> 0`.
 * @param watermarks Thresholds as fractions of capacity and the minimum dwell time; see
 *   {@link DEFAULT_WATERMARKS}.
 * @param scheduler Clock and timer of the minimum dwell time; unused when it is 0.
 *   @default asyncScheduler
 * @throws RangeError at call time for a bad capacity or watermark, naming the field.
 * @example
 * ```ts
 * // capacity 10, default watermarks
 * of(0, 4, 5, 7, 8, 9, 7, 6, 4, 3, 5).pipe(toBackpressureLevel(10)).subscribe(console.log);
 * // ok, soft, hard, soft, ok, soft
 *
 * // Once entered, a level holds for at least 500 ms (unless a worse one comes):
 * queue.depth$.pipe(toBackpressureLevel(queue.capacity, { minDwellMs: 500 })).subscribe(console.log);
 * ```
 */
export function toBackpressureLevel(
  capacity: number,
  watermarks?: Watermarks,
  scheduler: SchedulerLike = asyncScheduler,
): OperatorFunction<number, BackpressureLevel> {
  assertPositiveCapacity(capacity);
  const resolved = resolveWatermarks(watermarks);
  if (resolved.minDwellMs > 0) {
    return (depth$) =>
      new Observable<BackpressureLevel>((subscriber) => {
        const dwell = new LevelDwell(resolved, scheduler, (_previous, level) => subscriber.next(level));
        subscriber.add(() => dwell.dispose());
        let first = true;
        subscriber.add(
          depth$.subscribe({
            next: (depth) => {
              let level: BackpressureLevel;
              const previous = dwell.level;
              try {
                level = dwell.update(utilizationOf(depth, capacity));
              } catch (error) {
                subscriber.error(error);
                return;
              }
              if (first || level !== previous) subscriber.next(level);
              first = false;
            },
            error: (error: unknown) => subscriber.error(error),
            complete: () => subscriber.complete(),
          }),
        );
      });
  }
  return pipe(
    map((depth: number) => utilizationOf(depth, capacity)),
    scan((level: BackpressureLevel, utilization: number) => nextLevel(level, utilization, resolved), 'ok'),
    distinctUntilChanged(),
  );
}

/** @internal Validates a capacity used to compute utilization. */
export function assertPositiveCapacity(capacity: unknown): number {
  return assertPositiveNumber('capacity', capacity);
}

/** @internal `depth / capacity`, rejecting depths that are not finite numbers `>= 0`. */
export function utilizationOf(depth: number, capacity: number): number {
  if (typeof depth !== 'number' || !Number.isFinite(depth) || depth < 0) {
    throw new RangeError(`depth must be a finite number >= 0, found ${String(depth)}`);
  }
  return depth / capacity;
}
