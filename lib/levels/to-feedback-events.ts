import { Observable, asyncScheduler, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { BackpressureLevel } from './backpressure-level.js';
import { nextLevel, resolveWatermarks, type Watermarks } from './watermarks.js';
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
  /** Level thresholds. @default DEFAULT_WATERMARKS */
  readonly watermarks?: Watermarks;
  /** The events' `source` field. @default 'coordinator' */
  readonly source?: string;
  /** Clock for the events' `ts` (epoch ms); pass the `TestScheduler` in marble tests. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}

/**
 * Maps queue depths to a {@link FeedbackEvent} on every level change, with hysteresis as in
 * `toBackpressureLevel`. The starting level is `'ok'`, so the first depth produces an event only if
 * its level is not `'ok'`. Reasons: rising to `'hard'` `high_watermark`, `'ok'` to `'soft'`
 * `soft_watermark`, `'hard'` to `'soft'` `queue_draining`, down to `'ok'` `queue_recovered`.
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
      let level: BackpressureLevel = 'ok';
      return depth$.subscribe({
        next: (depth) => {
          let event: FeedbackEvent;
          try {
            const utilization = utilizationOf(depth, capacity);
            const next = nextLevel(level, utilization, resolved);
            if (next === level) return;
            event = createFeedbackEvent({
              coordinatorId,
              level: next,
              previousLevel: level,
              queueSize: depth,
              capacity,
              utilization: clampUtilization(utilization),
              reason: reasonForTransition(level, next),
              source,
              ts: scheduler.now(),
            });
            level = next;
          } catch (error) {
            subscriber.error(error);
            return;
          }
          subscriber.next(event);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}
