import { filter, firstValueFrom, Subject, type Observable } from 'rxjs';
import type { FeedbackEvent } from '../../lib/feedback/feedback-event.js';

/**
 * Subscribes to `events$` at once and records what it emits; `wait` resolves with the first
 * recorded (or later) event matching `predicate`, or rejects naming what it waited for.
 */
export function recordEvents(events$: Observable<FeedbackEvent>) {
  const seen: FeedbackEvent[] = [];
  const subject = new Subject<FeedbackEvent>();
  const subscription = events$.subscribe((e) => {
    seen.push(e);
    subject.next(e);
  });
  const wait = (predicate: (e: FeedbackEvent) => boolean, what: string, timeoutMs = 5_000) => {
    const found = seen.find(predicate);
    if (found) return Promise.resolve(found);
    let timer: ReturnType<typeof setTimeout> | undefined;
    return Promise.race([
      firstValueFrom(subject.pipe(filter(predicate))),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  };
  return { seen, wait, stop: () => subscription.unsubscribe() };
}
