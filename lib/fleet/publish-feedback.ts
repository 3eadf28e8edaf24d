import { asyncScheduler, Subscription, type Observable, type SchedulerLike } from 'rxjs';
import { toTransportError, type FeedbackTransportError } from '../errors/feedback-transport-error.js';
import { createFeedbackEvent, type FeedbackEvent } from '../feedback/feedback-event.js';
import { assertFunction, assertNonEmptyString, assertDelayMs } from '../internal/validate.js';
import { assertObservable } from '../pacing/level-input.js';
import { toFeedbackEnvelope, type FeedbackEnvelope } from './feedback-envelope.js';
import { assertTransport } from './assert-transport.js';
import type { FeedbackTransport } from './feedback-transport.js';
import { randomOrigin } from './origin.js';
import { callOnError, warnTransportError } from './report-transport-error.js';

/**
 * Options of {@link publishFeedback}.
 *
 * @example
 * ```ts
 * const options: PublishFeedbackOptions = { heartbeatMs: 2_000, onError: (e) => log.warn(e.message) };
 * ```
 */
export interface PublishFeedbackOptions {
  /**
   * Re-publish each coordinator's current event after this many ms without a publish, so readers
   * can tell a live coordinator from a dead one. Keep it well below the readers' `staleAfterMs`.
   * @default 5_000
   */
  readonly heartbeatMs?: number;
  /** This publisher's id in the envelopes. Must differ per process run. @default a random UUID */
  readonly origin?: string;
  /** Clock of the heartbeats and of their `ts`. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
  /** Called with every failed publish; never thrown into the coordinator. @default console.warn */
  readonly onError?: (error: FeedbackTransportError) => void;
}

interface Lane {
  current: FeedbackEvent;
  inFlight: boolean;
  pending: FeedbackEnvelope | null;
  heartbeat: Subscription | null;
}

/**
 * Publishes every event of `feedback$` to `transport` (the latest per coordinator, for late
 * joiners, and a notification, for everyone listening), and re-publishes each coordinator's
 * current event every `heartbeatMs` of silence with `ts` set to the time of the heartbeat.
 *
 * One write is in flight per coordinator; when the transport is slower than the events, only the
 * newest pending envelope is kept (an older level is worthless once a newer one exists). Lossy by
 * design in that sense, and bounded: at most one pending envelope per coordinator. A failed
 * publish goes to `onError`; the next event or heartbeat tries again. Unsubscribe to stop; when
 * `feedback$` completes (its coordinator stopped) the heartbeats stop, so readers see the level go
 * stale. Never closes the transport.
 *
 * @throws TypeError or RangeError for a bad argument or option.
 * @example
 * ```ts
 * const transport = redisFeedbackTransport({ client: new Redis() });
 * const publishing = publishFeedback(coordinator.feedback$, transport);
 * // later
 * publishing.unsubscribe();
 * ```
 */
export function publishFeedback(
  feedback$: Observable<FeedbackEvent>,
  transport: FeedbackTransport,
  options: PublishFeedbackOptions = {},
): Subscription {
  assertObservable('feedback$', feedback$);
  assertTransport(transport);
  const {
    heartbeatMs = 5_000,
    origin = randomOrigin(),
    scheduler = asyncScheduler,
    onError = warnTransportError,
  } = options;
  assertDelayMs('heartbeatMs', heartbeatMs, { positive: true });
  assertNonEmptyString('origin', origin);
  assertFunction('onError', onError);

  const lanes = new Map<string, Lane>();
  let seq = 0;
  let closed = false;

  const stopHeartbeats = () => {
    for (const lane of lanes.values()) lane.heartbeat?.unsubscribe();
  };

  const write = (lane: Lane, envelope: FeedbackEnvelope): void => {
    lane.inFlight = true;
    // A transport that throws instead of rejecting fails the same way.
    new Promise<void>((resolve) => resolve(transport.publish(envelope)))
      .then(undefined, (error: unknown) => {
        if (!closed) callOnError(onError, toTransportError('publish', error));
      })
      .finally(() => {
        lane.inFlight = false;
        const next = lane.pending;
        lane.pending = null;
        if (next && !closed) write(lane, next);
      })
      .catch(() => undefined);
  };

  const send = (lane: Lane, event: FeedbackEvent): void => {
    const envelope = toFeedbackEnvelope(origin, ++seq, event);
    lane.heartbeat?.unsubscribe();
    lane.heartbeat = scheduler.schedule(() => {
      if (!closed) send(lane, createFeedbackEvent({ ...lane.current, ts: scheduler.now() }));
    }, heartbeatMs);
    if (lane.inFlight) lane.pending = envelope;
    else write(lane, envelope);
  };

  const subscription = new Subscription(() => {
    closed = true;
    stopHeartbeats();
  });
  subscription.add(
    feedback$.subscribe({
      next: (event) => {
        if (closed) return;
        let lane = lanes.get(event.coordinatorId);
        if (!lane) {
          lane = { current: event, inFlight: false, pending: null, heartbeat: null };
          lanes.set(event.coordinatorId, lane);
        }
        lane.current = event;
        send(lane, event);
      },
      // A finished (or failed) source has no current level any more: stop vouching for it.
      error: () => stopHeartbeats(),
      complete: () => stopHeartbeats(),
    }),
  );
  return subscription;
}
