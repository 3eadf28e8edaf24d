import { Observable } from 'rxjs';
import { compareLevels, type BackpressureLevel } from '../levels/backpressure-level.js';
import type { FeedbackEvent } from '../feedback/feedback-event.js';
import { assertOneOf } from '../internal/validate.js';
import { assertObservable, createLevelTracker } from './level-input.js';

/**
 * Options of {@link pauseOn}: the level that pauses and the level that resumes.
 *
 * @example
 * ```ts
 * const options: PauseOnOptions = { pauseAt: 'soft', resumeAt: 'ok' };
 * ```
 */
export interface PauseOnOptions {
  /** Pause when the level reaches this one (or a worse one); `'soft'` or `'hard'`. @default 'hard' */
  readonly pauseAt?: BackpressureLevel;
  /** Resume only when the level has fallen to this one (or a milder one); milder than `pauseAt`. @default 'ok' */
  readonly resumeAt?: BackpressureLevel;
}

const PAUSE_LEVELS: readonly BackpressureLevel[] = ['soft', 'hard'];
const RESUME_LEVELS: readonly BackpressureLevel[] = ['ok', 'soft'];

/**
 * The `paused$` stream for {@link pauseWhile}, with hysteresis at the producer: `true` once the level
 * reaches `pauseAt`, `false` again only once it has fallen to `resumeAt`. With the defaults, a
 * producer paused at `'hard'` stays paused through `'soft'` and resumes at `'ok'`, so it refills the
 * queue from the bottom of the band instead of bouncing on the `hard` watermark: fewer pauses, and
 * the store still busy (the queue holds everything between the two thresholds while it drains).
 *
 * - Emits `false` on subscribe, then every change (never the same value twice in a row).
 * - Input: levels (e.g. `coordinator.level$`) or feedback events (the worst latest level across
 *   coordinators, as `levelOf(feedback$)`). Before the first input the level is `'ok'`.
 * - Errors with the input, and with a `TypeError` for an input that is neither a level nor a
 *   feedback event; completes with it. Holds no values: constant memory (one level per coordinator
 *   id seen).
 *
 * @param level$ Levels or feedback events.
 * @param options `pauseAt` (default `'hard'`) and `resumeAt` (default `'ok'`).
 * @throws RangeError or TypeError at call time for a bad option, naming it.
 * @example
 * ```ts
 * ticks$
 *   .pipe(pauseWhile(pauseOn(coordinator.level$), { maxBuffered: 50_000 }), submitTo(coordinator))
 *   .subscribe({ error: report });
 * ```
 */
export function pauseOn(
  level$: Observable<BackpressureLevel | FeedbackEvent>,
  options?: PauseOnOptions,
): Observable<boolean> {
  assertObservable('level$', level$);
  const { pauseAt = 'hard', resumeAt = 'ok' } = options ?? {};
  assertOneOf('pauseAt', pauseAt, PAUSE_LEVELS);
  assertOneOf('resumeAt', resumeAt, RESUME_LEVELS);
  if (compareLevels(resumeAt, pauseAt) >= 0) {
    throw new RangeError(`resumeAt must be milder than pauseAt ('${pauseAt}'), found '${resumeAt}'`);
  }
  return new Observable<boolean>((subscriber) => {
    const toLevel = createLevelTracker();
    let paused = false;
    subscriber.next(false);
    return level$.subscribe({
      next: (input) => {
        let level: BackpressureLevel;
        try {
          level = toLevel(input);
        } catch (error) {
          subscriber.error(error);
          return;
        }
        const next = paused ? compareLevels(level, resumeAt) > 0 : compareLevels(level, pauseAt) >= 0;
        if (next === paused) return;
        paused = next;
        subscriber.next(paused);
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => subscriber.complete(),
    });
  });
}
