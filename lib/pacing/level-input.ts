import { isObservable, type Observable, type Subscriber } from 'rxjs';
import { describeValue } from '../internal/describe-value.js';
import { isBackpressureLevel, maxLevel, type BackpressureLevel } from '../levels/backpressure-level.js';
import type { FeedbackEvent } from '../feedback/feedback-event.js';
import { assertDelayMs } from '../internal/validate.js';

/** @internal Checks a level received from a user's Observable; the caller passes the error on. */
export function checkLevel(name: string, value: unknown): BackpressureLevel {
  if (!isBackpressureLevel(value)) {
    throw new TypeError(`${name} must emit 'ok', 'soft' or 'hard', found ${describeValue(value)}`);
  }
  return value;
}

/**
 * @internal Folds feedback events (and plain levels) into one level: the worst latest level across
 * the coordinators seen so far, or the level of `coordinatorId` alone when given. A plain level
 * counts as the level of an anonymous coordinator, unless `acceptLevels` is false (then it is an
 * error, like any input that is not an event). Memory: one entry per coordinator id seen.
 */
export function createLevelTracker(
  coordinatorId?: string,
  acceptLevels = true,
): (input: FeedbackEvent | BackpressureLevel) => BackpressureLevel {
  const latest = new Map<string, BackpressureLevel>();
  const expected = acceptLevels ? 'feedback events or levels' : 'feedback events';
  return (input) => {
    if (typeof input === 'string' && acceptLevels) {
      latest.set('', checkLevel('feedback$', input));
    } else if (typeof input === 'object' && input !== null) {
      const event = input;
      if (coordinatorId !== undefined && event.coordinatorId !== coordinatorId) {
        return latest.get(coordinatorId) ?? 'ok';
      }
      latest.set(String(event.coordinatorId), checkLevel('feedback$ event level', event.level));
    } else {
      throw new TypeError(`feedback$ must emit ${expected}, found ${describeValue(input)}`);
    }
    return coordinatorId === undefined ? maxLevel(...latest.values()) : (latest.get(coordinatorId) ?? 'ok');
  };
}

/** @internal Throws a TypeError naming `name` unless `value` is an Observable. */
export function assertObservable(name: string, value: unknown): asserts value is Observable<unknown> {
  if (!isObservable(value))
    throw new TypeError(`${name} must be an Observable, found ${describeValue(value)}`);
}

/**
 * @internal Checks a per-level setting: a number of ms (`>= 0`, or `> 0`) no longer than a timer
 * can wait (2 147 483 647), or `'pause'`.
 */
export function assertMsOrPause(name: string, value: unknown, allowZero: boolean): number | 'pause' {
  return value === 'pause'
    ? value
    : assertDelayMs(name, value, { positive: !allowZero, alternative: " or 'pause'" });
}

/**
 * @internal Subscribes an operator's output to its controlling stream (a level, `paused$`, a rate)
 * and ties the two together: each value goes to `onValue`; what `onValue` throws (a value that is
 * not a level, say) and the stream's error error the output; the stream's completion is ignored,
 * since the last state holds. Unsubscribing the output unsubscribes the stream.
 */
export function followControl<C>(
  subscriber: Subscriber<unknown>,
  control$: Observable<C>,
  onValue: (value: C) => void,
): void {
  subscriber.add(
    control$.subscribe({
      next: (value) => {
        try {
          onValue(value);
        } catch (error) {
          subscriber.error(error);
        }
      },
      error: (error: unknown) => subscriber.error(error),
    }),
  );
}
