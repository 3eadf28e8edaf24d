import { asapScheduler, type MonoTypeOperatorFunction, type Observable, type SchedulerLike } from 'rxjs';
import { describeValue } from '../internal/describe-value.js';
import { assertObservable } from './level-input.js';
import { pacedOperator, resolveBufferOptions, type PacingBufferOptions } from './paced-buffer.js';

/**
 * Options of {@link pauseWhile}: the bound of its buffer and what happens at it.
 *
 * @example
 * ```ts
 * const options: PauseWhileOptions<Tick> = { maxBuffered: 1_000, overflow: 'drop-oldest', onDrop: log };
 * ```
 */
export type PauseWhileOptions<T> = PacingBufferOptions<T>;

/**
 * Holds the source's values while `paused$` says `true` and releases them, in order, when it says
 * `false`.
 *
 * - Not paused until `paused$` first emits `true`; `paused$` is subscribed before the source, so a
 *   `paused$` that emits synchronously (a `BehaviorSubject`, `coordinator.level$.pipe(map(...))`)
 *   holds even a synchronous source from its first value.
 * - Releasing is re-entrant-safe: if `paused$` turns `true` while the buffer is being released
 *   (typically because a downstream `submit` crossed a watermark synchronously), the release stops
 *   there and the rest waits for the next `false`.
 * - The source completing while paused completes the output after the buffer is released. The
 *   source erroring errors the output at once; buffered values are discarded with the error.
 * - `paused$` erroring errors the output. `paused$` completing keeps its last state: if it was
 *   paused, the output stays paused for good (and never completes while values are held).
 *
 * **Lossless** up to `maxBuffered` held values, which bounds its memory; value `maxBuffered + 1`
 * triggers `overflow`: `'error'` (default) errors with a `BufferOverflowError`, the drop
 * strategies discard one value and report it to `onDrop` (lossy from then on).
 *
 * Values that arrive while not paused (and with nothing held) pass through synchronously. The
 * release after a resume runs on `scheduler` (a microtask by default), not inside the `next` call
 * of `paused$` that said `false`: an emitter that defers its re-entrant emissions, like the
 * coordinator's `level$` while it is emitting, could not stop a release running inside it.
 *
 * @param paused$ `true` to hold values, `false` to let them through.
 * @param options The buffer's bound and overflow strategy.
 * @param scheduler Runs the release after a resume; pass a `TestScheduler` in tests.
 *   @default asapScheduler
 * @throws RangeError or TypeError at call time for a bad option, naming it.
 * @example
 * ```ts
 * const paused$ = coordinator.level$.pipe(map((level) => level === 'hard'));
 * ticks$.pipe(
 *   pauseWhile(paused$, { maxBuffered: 50_000 }),
 *   submitTo(coordinator),
 * ).subscribe();
 * ```
 */
export function pauseWhile<T>(
  paused$: Observable<boolean>,
  options?: PauseWhileOptions<T>,
  scheduler: SchedulerLike = asapScheduler,
): MonoTypeOperatorFunction<T> {
  assertObservable('paused$', paused$);
  const bufferOptions = resolveBufferOptions(options);
  return pacedOperator<T, boolean>('pauseWhile', paused$, bufferOptions, () => {
    let paused = false;
    return {
      policy: { wait: () => (paused ? 'pause' : 0), released: () => undefined, timed: false },
      onControl: (value) => {
        if (typeof value !== 'boolean') {
          throw new TypeError(`paused$ must emit booleans, found ${describeValue(value)}`);
        }
        const resumed = paused && !value;
        paused = value;
        return resumed;
      },
      scheduler,
    };
  });
}
