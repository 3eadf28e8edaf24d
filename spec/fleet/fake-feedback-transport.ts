import type { FeedbackEnvelope } from '../../lib/fleet/feedback-envelope.js';
import type { FeedbackTransport, FeedbackTransportObserver } from '../../lib/fleet/feedback-transport.js';
import { toWire } from '../../lib/feedback/wire.js';
import { sampleEvent } from '../support/sample-event.js';
import type { FeedbackEvent } from '../../lib/feedback/feedback-event.js';

/**
 * An in-memory transport for unit tests: it stores the latest envelope per coordinator, delivers
 * publishes to its listeners, and lets the test deliver, resync or fail by hand and see every call.
 */
export class FakeFeedbackTransport implements FeedbackTransport {
  readonly published: FeedbackEnvelope[] = [];
  readonly latest = new Map<string, FeedbackEnvelope>();
  readonly calls: string[] = [];
  readonly observers = new Set<FeedbackTransportObserver>();
  /** What `publish` returns after recording; replace it to hold or fail writes. */
  publishResult: (envelope: FeedbackEnvelope) => Promise<void> = () => Promise.resolve();
  closed = false;

  publish(envelope: FeedbackEnvelope): Promise<void> {
    this.calls.push('publish');
    this.published.push(envelope);
    this.latest.set(envelope.event.coordinator_id, envelope);
    for (const observer of [...this.observers]) observer.next(envelope);
    return this.publishResult(envelope);
  }

  snapshot(): Promise<FeedbackEnvelope[]> {
    this.calls.push('snapshot');
    return Promise.resolve([...this.latest.values()]);
  }

  listen(observer: FeedbackTransportObserver): { close(): void } {
    this.calls.push('listen');
    this.observers.add(observer);
    return { close: () => void this.observers.delete(observer) };
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  /** Delivers `envelope` to the listeners as a message (without storing it). */
  deliver(envelope: FeedbackEnvelope): void {
    for (const observer of [...this.observers]) observer.next(envelope);
  }

  /** Stores `envelope` without notifying anyone: what a listener misses while disconnected. */
  storeSilently(envelope: FeedbackEnvelope): void {
    this.latest.set(envelope.event.coordinator_id, envelope);
  }

  resync(): void {
    for (const observer of [...this.observers]) observer.resync();
  }

  fail(error: unknown): void {
    for (const observer of [...this.observers]) observer.error(error);
  }
}

/** An envelope of `event` (a sample `hard` event of 'orders' by default, at `ts`). */
export function envelopeOf(
  seq: number,
  overrides: Partial<FeedbackEvent> = {},
  origin = 'publisher-a',
): FeedbackEnvelope {
  return { v: 1, origin, seq, event: toWire(sampleEvent({ ts: 0, ...overrides })) };
}
