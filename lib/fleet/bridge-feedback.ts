import { Observable, Subscription } from 'rxjs';
import type { FeedbackBus } from '../feedback/feedback-bus.js';
import type { FeedbackEvent } from '../feedback/feedback-event.js';
import { describeValue } from '../internal/describe-value.js';
import { assertNonEmptyString } from '../internal/validate.js';
import type { FeedbackTransport } from './feedback-transport.js';
import { foldTransport, type FromTransportOptions } from './from-transport.js';
import { randomOrigin } from './origin.js';
import { callOnError, warnTransportError } from './report-transport-error.js';
import { toTransportError } from '../errors/feedback-transport-error.js';
import { publishFeedback, type PublishFeedbackOptions } from './publish-feedback.js';

/**
 * Options of {@link bridgeFeedback}: those of `publishFeedback` (outbound) and of `fromTransport`
 * (inbound).
 *
 * @example
 * ```ts
 * const options: BridgeFeedbackOptions = { heartbeatMs: 5_000, staleAfterMs: 15_000 };
 * ```
 */
export interface BridgeFeedbackOptions extends PublishFeedbackOptions, FromTransportOptions {}

/**
 * Connects a local bus to the fleet both ways: the bus's own events (its coordinators') are
 * published on `transport`, and every other process's events are published on the bus, so local
 * `levelOf(bus.feedback$, id)`, dashboards and webhooks see the whole fleet.
 *
 * No echo: an event the bridge received is never published back, and envelopes of its own origin
 * are dropped. Events already on the bus when the bridge starts (`bus.latestAll()`) are published
 * at once. Unsubscribe to stop both directions; the transport stays open.
 *
 * @throws TypeError or RangeError for a bad argument or option.
 * @example
 * ```ts
 * const bridge = bridgeFeedback(feedbackBus(), redisFeedbackTransport({ client: new Redis() }));
 * // later
 * bridge.unsubscribe();
 * ```
 */
export function bridgeFeedback(
  bus: FeedbackBus,
  transport: FeedbackTransport,
  options: BridgeFeedbackOptions = {},
): Subscription {
  if (typeof bus !== 'object' || bus === null || typeof bus.publish !== 'function') {
    throw new TypeError(`bus must be a FeedbackBus, found ${describeValue(bus)}`);
  }
  const origin = options.origin ?? randomOrigin();
  assertNonEmptyString('origin', origin);
  // Events this bridge put on the bus, by identity: the bus hands listeners the very object.
  const received = new WeakSet<FeedbackEvent>();
  const local$ = new Observable<FeedbackEvent>((subscriber) => {
    for (const event of bus.latestAll().values()) if (!received.has(event)) subscriber.next(event);
    return bus.subscribe((event) => {
      if (!received.has(event)) subscriber.next(event);
    });
  });
  const inbound$ = foldTransport(transport, options, origin);
  const bridge = new Subscription();
  bridge.add(publishFeedback(local$, transport, { ...options, origin }));
  bridge.add(
    inbound$.subscribe({
      next: (event) => {
        received.add(event);
        bus.publish(event);
      },
      // Listening failed for good; the outbound half goes on, and the failure is reported.
      error: (error: unknown) =>
        callOnError(options.onError ?? warnTransportError, toTransportError('listen', error)),
    }),
  );
  return bridge;
}
