/**
 * @internal Settles like `promise`, or rejects with `signal.reason` as soon as `signal` aborts (at
 * once if it already has), whichever comes first: for a user-supplied `fetch` that ignores its
 * signal, so that a timeout or `stop()` always frees the caller. A value that arrives after the
 * abort goes to `onLate` (e.g. to cancel a response body nobody will read); a late rejection is
 * swallowed.
 */
export function raceAbort<T>(
  promise: Promise<T>,
  signal: AbortSignal,
  onLate: (value: T) => void = () => undefined,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const onAbort = (): void => {
      if (settled) return;
      settled = true;
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- as fetch does
      reject(signal.reason);
    };
    promise.then(
      (value) => {
        if (settled) return onLate(value);
        settled = true;
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passed through
        reject(error);
      },
    );
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}
