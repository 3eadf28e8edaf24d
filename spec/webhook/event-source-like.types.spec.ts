import type { EventSourceConstructor, EventSourceLike } from '../../lib/webhook/from-feedback-events.js';

// Type-level: `npm run typecheck` compiles this file with the DOM lib, whose `EventSource` handler
// takes a `MessageEvent`; the platform's constructor must be usable as `fromFeedbackEvents`'s.
describe('EventSourceLike', () => {
  it("accepts the platform's EventSource and a handler written for MessageEvent", () => {
    const platform: EventSourceConstructor | undefined =
      typeof EventSource === 'undefined' ? undefined : EventSource;
    const like: EventSourceLike = {
      readyState: 0,
      onmessage: null,
      onerror: null,
      close: () => undefined,
    };
    const handler = (event: MessageEvent<string>) => event.data.length;
    like.onmessage = handler;
    expect(like.onmessage).toBe(handler);
    expect(platform === undefined || typeof platform === 'function').toBe(true);
  });
});
