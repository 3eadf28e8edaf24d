import { Observable, type OperatorFunction } from 'rxjs';
import { describeValue } from '../internal/describe-value.js';
import type { WriteCoordinator } from './write-coordinator.js';

/**
 * Options of {@link submitTo}.
 *
 * @example
 * ```ts
 * const options: SubmitToOptions<Tick> = {
 *   onRefused: (tick, error) => log.warn({ tick, error }, 'not stored'),
 * };
 * ticks$.pipe(submitTo(coordinator, options)).subscribe();
 * ```
 */
export interface SubmitToOptions<T> {
  /**
   * Called with each value the coordinator refused (`QueueFullError` under `'reject'`,
   * `CoordinatorClosedError` once it is stopping), in the order of the refusals; the stream goes on.
   * Without it, the first refusal errors the stream with the coordinator's error. An error thrown
   * by `onRefused` errors the stream. @default undefined (a refusal errors the stream)
   */
  readonly onRefused?: (value: T, error: unknown) => void;
}

/**
 * Submits every value of the source to `coordinator`, in order, and completes once the source has
 * completed and every value was accepted (or refused). It emits nothing: the values go to the
 * coordinator, which writes them.
 *
 * - O(1) per value whatever the burst size: a value is handed over with `trySubmit` (no promise,
 *   no inner subscription), so a burst of 10 000 values released at once by `pauseWhile` costs per
 *   value what a single one does. This is the recipe to use instead of
 *   `mergeMap((x) => coordinator.submit(x))`, whose cost per value grows with the number of values
 *   in flight.
 * - Waits only when the coordinator is full under `'block'`: the value it has no room for, and the
 *   values the source pushes while it waits, join the coordinator's line of blocked submits, in
 *   order, and are accepted as room is freed. The operator itself buffers nothing. An Observable
 *   cannot be asked to stop, so put `pauseWhile` (or another pacing operator) on the coordinator's
 *   level before it to stop the source before the coordinator is full; then it never waits.
 * - Refusals (full under `'reject'`, stopping or stopped) go to `onRefused` or error the stream,
 *   and the coordinator counts them in `rejected`: no value is lost without a trace. Under a drop
 *   strategy the coordinator accepts every value and reports what it drops on `dropped$`.
 * - Lossless and bounded under `'block'` by the coordinator's capacity plus what the source pushes
 *   while the coordinator is full. Unsubscribing stops taking values; values already handed over
 *   stay with the coordinator.
 *
 * @param coordinator Where the values go.
 * @param options What to do with refused values.
 * @throws TypeError at call time when `coordinator` has no `trySubmit` / `submit`, or an option has
 *   the wrong type.
 * @example
 * ```ts
 * const paused$ = coordinator.level$.pipe(map((level) => level === 'hard'));
 * ticks$.pipe(pauseWhile(paused$), submitTo(coordinator)).subscribe({
 *   error: (error) => console.error('not stored', error),
 *   complete: () => console.log('every tick handed over'),
 * });
 * ```
 */
export function submitTo<T>(
  coordinator: Pick<WriteCoordinator<T>, 'trySubmit' | 'submit'>,
  options?: SubmitToOptions<T>,
): OperatorFunction<T, never> {
  if (
    typeof coordinator !== 'object' ||
    coordinator === null ||
    typeof coordinator.trySubmit !== 'function' ||
    typeof coordinator.submit !== 'function'
  ) {
    throw new TypeError(
      `submitTo expects a WriteCoordinator (an object with trySubmit and submit), found ${describeValue(coordinator)}`,
    );
  }
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new TypeError(`submitTo options must be an object, found ${describeValue(options)}`);
  }
  const { onRefused } = options ?? {};
  if (onRefused !== undefined && typeof onRefused !== 'function') {
    throw new TypeError(`onRefused must be a function, found ${describeValue(onRefused)}`);
  }

  return (source) =>
    new Observable<never>((subscriber) => {
      // Submits still waiting in the coordinator's line (or whose refusal is not reported yet).
      let pending = 0;
      let sourceDone = false;
      let active = true;

      const refused = (value: T, error: unknown): void => {
        if (!active) return;
        if (onRefused === undefined) {
          active = false;
          subscriber.error(error);
          return;
        }
        try {
          onRefused(value, error);
        } catch (callbackError) {
          active = false;
          subscriber.error(callbackError);
        }
      };
      const settled = (): void => {
        pending--;
        if (active && sourceDone && pending === 0) {
          active = false;
          subscriber.complete();
        }
      };
      // The slow path: full, or closed. `submit` waits in line under 'block' and otherwise rejects
      // with the coordinator's own error, counted in its `rejected`.
      const handOver = (value: T): void => {
        pending++;
        coordinator.submit(value).then(settled, (error: unknown) => {
          refused(value, error);
          settled();
        });
      };

      const subscription = source.subscribe({
        next: (value) => {
          let accepted: boolean;
          try {
            // Once something waits in line, trySubmit says false (it does not overtake).
            accepted = pending === 0 && coordinator.trySubmit(value);
          } catch {
            // Closed: `submit` gives the same error, counted as a refusal.
            accepted = false;
          }
          if (!accepted) handOver(value);
        },
        error: (error: unknown) => {
          active = false;
          subscriber.error(error);
        },
        complete: () => {
          sourceDone = true;
          if (active && pending === 0) {
            active = false;
            subscriber.complete();
          }
        },
      });
      return () => {
        active = false;
        subscription.unsubscribe();
      };
    });
}
