import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { onAbort } from './abort-listeners.js';
import { clampDelayMs } from './validate.js';

/**
 * Resolves `true` after `ms` on `scheduler` (cut to the longest delay a timer can wait), or `false`
 * as soon as `signal` aborts (at once if it already has). Never rejects, and cancels its scheduled
 * action either way: the one sleep of the library, so that specs drive it with a virtual clock.
 */
export function abortableSleep(
  ms: number,
  signal: AbortSignal,
  scheduler: SchedulerLike = asyncScheduler,
): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const timer = scheduler.schedule(() => {
      stopListening();
      resolve(true);
    }, clampDelayMs(ms));
    const stopListening = onAbort(signal, () => {
      timer.unsubscribe();
      resolve(false);
    });
  });
}
