import { fromEvent, throwError, throwIfEmpty, takeUntil, type MonoTypeOperatorFunction } from 'rxjs';

/**
 * Cancels an HttpClient request when `signal` aborts, and fails with the signal's reason, so that a
 * coordinator's write timeout (or `stop`) really ends the request. HttpClient has no `signal`
 * option: unsubscribing is how it cancels.
 */
export function abortWith<T>(signal: AbortSignal): MonoTypeOperatorFunction<T> {
  return (source) => {
    if (signal.aborted) return throwError(() => signal.reason as unknown);
    return source.pipe(
      takeUntil(fromEvent(signal, 'abort')),
      // An aborted request completes without a value; say why instead.
      throwIfEmpty(() => signal.reason as unknown),
    );
  };
}
