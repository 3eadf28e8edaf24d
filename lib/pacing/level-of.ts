import { Observable, distinctUntilChanged } from 'rxjs';
import type { BackpressureLevel } from '../levels/backpressure-level.js';
import type { FeedbackEvent } from '../feedback/feedback-event.js';
import { assertNonEmptyString } from '../internal/validate.js';
import { assertObservable, createLevelTracker } from './level-input.js';

/**
 * The backpressure level carried by a stream of feedback events, ready for the pacing operators:
 * emits `'ok'` on subscribe, then the level of coordinator `coordinatorId` (or, with no id, the
 * worst latest level across all coordinators seen), only when it changes.
 *
 * Completes and errors with `feedback$`. A value that is not a feedback event errors the output
 * with a `TypeError`. Memory: one level per coordinator id seen. Lossless in the sense that
 * matters: every change of the level is emitted; repeats are not.
 *
 * @param feedback$ Feedback events, e.g. `bus.feedback$` or `createFeedbackReceiver().feedback$`.
 * @param coordinatorId Follow only this coordinator. @default all coordinators, worst level
 * @example
 * ```ts
 * const level$ = levelOf(feedbackBus().feedback$, 'bars');
 * bars$.pipe(throttleByLevel(level$), submitTo(coordinator)).subscribe();
 * ```
 */
export function levelOf(
  feedback$: Observable<FeedbackEvent>,
  coordinatorId?: string,
): Observable<BackpressureLevel> {
  assertObservable('feedback$', feedback$);
  if (coordinatorId !== undefined) assertNonEmptyString('coordinatorId', coordinatorId);
  return new Observable<BackpressureLevel>((subscriber) => {
    const toLevel = createLevelTracker(coordinatorId, false);
    subscriber.next('ok');
    return feedback$.subscribe({
      next: (event) => {
        let level: BackpressureLevel;
        try {
          level = toLevel(event);
        } catch (error) {
          subscriber.error(error);
          return;
        }
        subscriber.next(level);
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => subscriber.complete(),
    });
  }).pipe(distinctUntilChanged());
}
