import { asyncScheduler, type MonoTypeOperatorFunction, type Observable, type SchedulerLike } from 'rxjs';
import type { BackpressureLevel } from '../levels/backpressure-level.js';
import { assertMsOrPause, assertObservable, checkLevel } from './level-input.js';
import { pacedOperator, resolveBufferOptions, type PacingBufferOptions } from './paced-buffer.js';

/**
 * Options of {@link throttleByLevel}: the minimum gap per level, and the buffer's bound.
 *
 * @example
 * ```ts
 * const options: ThrottleByLevelOptions<Row> = { ok: 0, soft: 50, hard: 'pause', maxBuffered: 2_000 };
 * ```
 */
export interface ThrottleByLevelOptions<T> extends PacingBufferOptions<T> {
  /**
   * Minimum gap in ms between two emitted values at level `ok` (0: no gap). Each gap is a number
   * within [0, 2 147 483 647] (the longest timer delay), or `'pause'`.
   * @default 0
   */
  readonly ok?: number | 'pause';
  /** Minimum gap in ms at level `soft`. @default 10 */
  readonly soft?: number | 'pause';
  /** Minimum gap in ms at level `hard`, or `'pause'` to hold every value. @default 'pause' */
  readonly hard?: number | 'pause';
}

/**
 * Spaces the source's values by a minimum gap that depends on the current backpressure level, or
 * holds them while the level's setting is `'pause'`. Values are never reordered or dropped (within
 * the bound); they wait in a buffer until their turn.
 *
 * - The level is `ok` until `level$` first emits; `level$` is subscribed before the source.
 * - The gap is measured from the previous emitted value. When the level changes, a waiting value
 *   is re-timed with the new gap (so going from `soft: 1000` to `ok: 0` releases it at once).
 * - Re-entrant-safe: a level change caused synchronously by an emitted value (a `submit` crossing a
 *   watermark) applies before the next value goes. After a level change, the release is re-timed
 *   on `scheduler` (at once means a 0 ms action), never inside the `next` call of `level$`.
 * - The source completing completes the output once the buffer is empty (after a pause, if the
 *   level is paused). The source or `level$` erroring errors the output at once. `level$`
 *   completing keeps the last level. A value of `level$` that is not a level errors the output
 *   with a `TypeError`.
 *
 * **Lossless** up to `maxBuffered` held values, which bounds its memory; value `maxBuffered + 1`
 * triggers `overflow` (`'error'` by default: a `BufferOverflowError`; the drop strategies are
 * lossy and report to `onDrop`).
 *
 * @param level$ The backpressure level to follow, e.g. `coordinator.level$` or `levelOf(feedback$)`.
 * @param options Gaps per level in ms (or `'pause'`) and the buffer's bound.
 * @param scheduler Times the gaps; pass a `TestScheduler` in tests. @default asyncScheduler
 * @throws RangeError or TypeError at call time for a bad option, naming it.
 * @example
 * ```ts
 * rows$.pipe(
 *   throttleByLevel(coordinator.level$, { ok: 0, soft: 20, hard: 'pause' }),
 *   tap((row) => coordinator.submit(row).catch(console.error)),
 * ).subscribe();
 * ```
 */
export function throttleByLevel<T>(
  level$: Observable<BackpressureLevel>,
  options?: ThrottleByLevelOptions<T>,
  scheduler: SchedulerLike = asyncScheduler,
): MonoTypeOperatorFunction<T> {
  assertObservable('level$', level$);
  const { ok = 0, soft = 10, hard = 'pause', ...rest } = options ?? {};
  const gaps: Readonly<Record<BackpressureLevel, number | 'pause'>> = {
    ok: assertMsOrPause('ok', ok, true),
    soft: assertMsOrPause('soft', soft, true),
    hard: assertMsOrPause('hard', hard, true),
  };
  const bufferOptions = resolveBufferOptions(rest);
  return pacedOperator<T, BackpressureLevel>('throttleByLevel', level$, bufferOptions, () => {
    let level: BackpressureLevel = 'ok';
    let lastEmit = Number.NEGATIVE_INFINITY;
    return {
      policy: {
        wait: (now) => {
          const gap = gaps[level];
          return gap === 'pause' ? gap : Math.max(0, lastEmit + gap - now);
        },
        released: (now) => {
          lastEmit = now;
        },
      },
      onControl: (value) => {
        const next = checkLevel('level$', value);
        if (next === level) return false;
        level = next;
        return true;
      },
      scheduler,
    };
  });
}
