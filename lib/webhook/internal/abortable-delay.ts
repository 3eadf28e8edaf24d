import { onAbort } from '../../internal/abort-listeners.js';
import { clampTimerMs } from './timer-bounds.js';

/**
 * @internal Resolves `true` after `ms` (cut to the longest delay a timer can wait), or `false` as
 * soon as `signal` aborts (at once if it already has). Never rejects, and clears its timer either way.
 */
export function abortableDelay(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      stopListening();
      resolve(true);
    }, clampTimerMs(ms));
    const stopListening = onAbort(signal, () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}
