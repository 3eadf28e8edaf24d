/** The callers of one signal and the single `abort` listener they share. */
interface Shared {
  readonly callers: Set<() => void>;
  readonly onAbort: () => void;
}

const shared = new WeakMap<AbortSignal, Shared>();

/**
 * @internal Runs `listener` once when `signal` aborts, and returns a function that stops listening.
 *
 * Every caller of one signal shares a single `abort` listener on it. A caller's `AbortSignal` passed
 * to many waiting submits, or a broadcaster's stop signal shared by every delivery in flight, would
 * otherwise carry one listener per waiter, and Node warns past ten ("Possible EventTarget memory
 * leak detected"). The shared listener is removed with its last caller. The caller checks
 * `signal.aborted` first: a signal that already aborted never fires again.
 */
export function onAbort(signal: AbortSignal, listener: () => void): () => void {
  let entry = shared.get(signal);
  if (entry === undefined) {
    const callers = new Set<() => void>();
    const dispatch = (): void => {
      shared.delete(signal);
      for (const caller of [...callers]) caller();
      callers.clear();
    };
    entry = { callers, onAbort: dispatch };
    shared.set(signal, entry);
    signal.addEventListener('abort', dispatch, { once: true });
  }
  // A wrapper per call, so that one function registered twice is two registrations.
  const caller = (): void => listener();
  const { callers } = entry;
  const current = entry;
  callers.add(caller);
  return () => {
    if (!callers.delete(caller) || callers.size > 0) return;
    if (shared.get(signal) === current) shared.delete(signal);
    signal.removeEventListener('abort', current.onAbort);
  };
}
