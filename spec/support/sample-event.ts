import { createFeedbackEvent, type FeedbackEvent } from '../../lib/feedback/feedback-event.js';

/** A valid `hard` event of coordinator 'orders' (81 % full), with any field overridden. */
export function sampleEvent(overrides: Partial<FeedbackEvent> = {}): FeedbackEvent {
  return createFeedbackEvent({
    coordinatorId: 'orders',
    level: 'hard',
    previousLevel: 'soft',
    queueSize: 8_100,
    capacity: 10_000,
    reason: 'high_watermark',
    source: 'coordinator',
    ts: 1_700_000_000_123,
    ...overrides,
  });
}
