import { distinctUntilChanged, map, scan, type OperatorFunction, pipe } from 'rxjs';
import type { BackpressureLevel } from './backpressure-level.js';
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
 * A depth that is not a finite number `>= 0` errors the stream with a `RangeError`.
 *
 * @param capacity The depth that means 100 % utilization; a finite number `> 0`.
 * @param watermarks Thresholds as fractions of capacity; see {@link DEFAULT_WATERMARKS}.
 * @throws RangeError at call time for a bad capacity or watermark, naming the field.
 * @example
 * ```ts
 * // capacity 10, default watermarks
 * of(0, 4, 5, 7, 8, 9, 7, 6, 4, 3, 5).pipe(toBackpressureLevel(10)).subscribe(console.log);
 * // ok, soft, hard, soft, ok, soft
 * ```
 */
export function toBackpressureLevel(
  capacity: number,
  watermarks?: Watermarks,
): OperatorFunction<number, BackpressureLevel> {
  assertPositiveCapacity(capacity);
  const resolved = resolveWatermarks(watermarks);
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
