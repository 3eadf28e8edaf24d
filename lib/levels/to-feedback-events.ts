import { Observable, asyncScheduler, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { BackpressureLevel } from './backpressure-level.js';
import { resolveWatermarks, type Watermarks } from './watermarks.js';
import { LevelDwell } from './level-dwell.js';
import { utilizationOf } from './to-backpressure-level.js';
import {
  clampUtilization,
  createFeedbackEvent,
  reasonForTransition,
  type FeedbackEvent,
} from '../feedback/feedback-event.js';
import { assertInteger, assertNonEmptyString } from '../internal/validate.js';

/**
 * Options of {@link toFeedbackEvents}.
 *
 * @example
 * ```ts
 * const options: ToFeedbackEventsOptions = { coordinatorId: 'ticks', capacity: 1_000, source: 'ingest' };
 * depth$.pipe(toFeedbackEvents(options));
 * ```
 */
export interface ToFeedbackEventsOptions {
  /** Identifies the queue or coordinator in every event. Required, non-empty. */
  readonly coordinatorId: string;
  /** The depth that means 100 % utilization; an integer `> 0`. Required. */
  readonly capacity: number;
  /**
   * Level thresholds, and the minimum time a level is held once entered (`minDwellMs`).
   * @default DEFAULT_WATERMARKS
   */
  readonly watermarks?: Watermarks;
  /** The events' `source` field. @default 'coordinator' */
  readonly source?: string;
  /**
   * Clock for the events' `ts` (epoch ms) and timer of the minimum dwell time; pass the
   * `TestScheduler` in marble tests.
   * @default asyncScheduler
   */
  readonly scheduler?: SchedulerLike;
}

/**
 * Maps queue depths to a {@link FeedbackEvent} on every level change, with hysteresis as in
 * `toBackpressureLevel`. The starting level is `'ok'`, so the first depth produces an event only if
 * its level is not `'ok'`. Reasons: rising to `'hard'` `high_watermark`, `'ok'` to `'soft'`
 * `soft_watermark`, `'hard'` to `'soft'` `queue_draining`, down to `'ok'` `queue_recovered`.
 *
 * With `watermarks.minDwellMs` above 0 a level is held at least that long once entered (a worse
 * one is entered at once); a fall held back is re-evaluated on `scheduler` when the dwell ends,
 * against the latest depth, and its event carries that depth. Completion and errors pass through
 * at once and cancel a pending re-evaluation.
 *
 * @throws RangeError / TypeError at call time for bad options, naming the option.
 * @example
 * ```ts
 * queue.depth$
 *   .pipe(toFeedbackEvents({ coordinatorId: 'ticks', capacity: queue.capacity }))
 *   .subscribe((event) => bus.publish(event));
 * ```
 */
export function toFeedbackEvents(options: ToFeedbackEventsOptions): OperatorFunction<number, FeedbackEvent> {
  const { coordinatorId, capacity, watermarks, source = 'coordinator', scheduler = asyncScheduler } = options;
  assertNonEmptyString('coordinatorId', coordinatorId);
  assertInteger('capacity', capacity, 1);
  const resolved = resolveWatermarks(watermarks);
  return (depth$) =>
    new Observable<FeedbackEvent>((subscriber) => {
      let depth = 0;
      const emit = (previous: BackpressureLevel, level: BackpressureLevel): void => {
        const utilization = depth / capacity;
        subscriber.next(
          createFeedbackEvent({
            coordinatorId,
            level,
            previousLevel: previous,
            queueSize: depth,
            capacity,
            utilization: clampUtilization(utilization),
            reason: reasonForTransition(previous, level),
            source,
            ts: scheduler.now(),
          }),
        );
      };
      const dwell = new LevelDwell(resolved, scheduler, emit);
      subscriber.add(() => dwell.dispose());
      subscriber.add(
        depth$.subscribe({
          next: (value) => {
            const previous = dwell.level;
            let level: BackpressureLevel;
            try {
              level = dwell.update(utilizationOf(value, capacity));
            } catch (error) {
              subscriber.error(error);
              return;
            }
            depth = value;
            if (level !== previous) emit(previous, level);
          },
          error: (error: unknown) => subscriber.error(error),
          complete: () => subscriber.complete(),
        }),
      );
    });
}
