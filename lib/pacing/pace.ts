import { asyncScheduler, type MonoTypeOperatorFunction, type Observable, type SchedulerLike } from 'rxjs';
import { describeValue } from '../internal/describe-value.js';
import { assertNumber } from '../internal/validate.js';
import { assertObservable } from './level-input.js';
import { pacedOperator, resolveBufferOptions, type PacingBufferOptions } from './paced-buffer.js';
import { RateController } from './rate-controller.js';
import { TokenBucket } from './token-bucket.js';

/**
 * Options of {@link pace}: the buffer's bound and, for a `rate$` stream, the bucket's size.
 *
 * @example
 * ```ts
 * const options: PaceOptions<Row> = { burst: 20, maxBuffered: 5_000 };
 * ```
 */
export interface PaceOptions<T> extends PacingBufferOptions<T> {
  /**
   * Size of the token bucket when pacing by a `rate$` stream: how many values may pass back to
   * back after a quiet spell; a finite number `>= 1`. Ignored with a {@link RateController},
   * which has its own.
   * @default 1
   */
  readonly burst?: number;
}

/**
 * Delays the source's values so that they go out no faster than a rate, in values per second,
 * through a token bucket (bursts up to the bucket's size, then evenly spaced). Values are never
 * reordered or dropped within the bound; they wait in a buffer until a token is available.
 *
 * - `pace(rate$)`: the rate is the latest value of `rate$` (e.g. from {@link aimdRate}); values
 *   wait until `rate$` first emits; a rate of 0 holds them until it rises. Each subscription has
 *   its own bucket, which starts full. A rate that is not a finite number `>= 0` errors the output.
 * - `pace(controller)`: the rate is the {@link RateController}'s effective rate, which follows the
 *   backpressure level; every stream paced by one controller shares its bucket (one budget), and
 *   uses its scheduler. An error of a stream the controller follows errors the output.
 * - A change of rate re-times the release on the scheduler (a 0 ms action when a token is there),
 *   never inside the `next` call of the rate stream, so that a level change caused by a released
 *   value (a `submit` crossing a watermark) applies before the next value goes.
 * - The source completing completes the output once the buffer is empty; the source or the rate
 *   stream erroring errors it at once; `rate$` completing keeps the last rate.
 *
 * **Lossless** up to `maxBuffered` held values, which bounds its memory; value `maxBuffered + 1`
 * triggers `overflow` (`'error'` by default: a `BufferOverflowError`; the drop strategies are
 * lossy and report to `onDrop`).
 *
 * @param rate A stream of rates in values per second, or a {@link RateController}.
 * @param options The buffer's bound, and the bucket's size for a `rate$`.
 * @param scheduler Times the waits for a `rate$` (a controller uses its own). @default asyncScheduler
 * @throws RangeError or TypeError at call time for a bad option, naming it.
 * @example
 * ```ts
 * // Additive increase while the store is ok, multiplicative decrease when it pushes back:
 * const rate$ = aimdRate(coordinator.feedback$, { initial: 200, max: 5_000 });
 * readings$.pipe(pace(rate$, { burst: 10 }), submitTo(coordinator)).subscribe();
 * ```
 */
export function pace<T>(
  rate: Observable<number> | RateController,
  options?: PaceOptions<T>,
  scheduler: SchedulerLike = asyncScheduler,
): MonoTypeOperatorFunction<T> {
  const { burst = 1, ...rest } = options ?? {};
  assertNumber('burst', burst, 1);
  const bufferOptions = resolveBufferOptions(rest);
  if (rate instanceof RateController) {
    const controller = rate;
    return pacedOperator<T, number>('pace', controller.rate$, bufferOptions, () => ({
      policy: { wait: (now) => controller.waitAt(now), released: (now) => controller.takeAt(now) },
      onControl: () => true,
      scheduler: controller.scheduler,
    }));
  }
  assertObservable('rate', rate);
  return pacedOperator<T, number>('pace', rate, bufferOptions, () => {
    const bucket = new TokenBucket(0, burst);
    let rateKnown = false; // values wait for the first rate, even with tokens in the bucket
    return {
      policy: {
        wait: (now) => (rateKnown ? bucket.wait(now) : 'pause'),
        released: (now) => void bucket.take(now),
      },
      onControl: (value) => {
        if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
          throw new RangeError(`rate$ must emit finite numbers >= 0, found ${describeValue(value)}`);
        }
        bucket.setRate(value, scheduler.now());
        rateKnown = true;
        return true;
      },
      scheduler,
    };
  });
}
