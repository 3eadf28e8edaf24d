import { bridgeFeedback } from '../../lib/fleet/bridge-feedback.js';
import { FeedbackBus } from '../../lib/feedback/feedback-bus.js';
import type { FeedbackEvent } from '../../lib/feedback/feedback-event.js';
import { sampleEvent } from '../support/sample-event.js';
import { envelopeOf, FakeFeedbackTransport } from './fake-feedback-transport.js';
import { VirtualClock } from './virtual-clock.js';

describe('bridgeFeedback', () => {
  let clock: VirtualClock;
  let transport: FakeFeedbackTransport;
  let bus: FeedbackBus;
  let onBus: FeedbackEvent[];
  beforeEach(() => {
    clock = new VirtualClock();
    transport = new FakeFeedbackTransport();
    bus = new FeedbackBus();
    onBus = [];
    bus.subscribe((e) => void onBus.push(e));
  });

  it("publishes the bus's own events and puts other processes' events on the bus, without echo", async () => {
    const bridge = bridgeFeedback(bus, transport, {
      origin: 'me',
      scheduler: clock.scheduler,
      heartbeatMs: 1_000,
    });
    await clock.advance(1);
    bus.publish(sampleEvent({ coordinatorId: 'local', level: 'soft', ts: 1 }));
    transport.deliver(envelopeOf(1, { coordinatorId: 'remote', level: 'hard', ts: 2 }, 'them'));
    await clock.advance(1);
    expect(onBus.map((e) => [e.coordinatorId, e.level])).toEqual([
      ['local', 'soft'],
      ['remote', 'hard'],
    ]);
    // The fake also delivers our own publish back to us: dropped by origin. The remote event is
    // never published again.
    expect(transport.published.map((e) => [e.origin, e.event.coordinator_id])).toEqual([['me', 'local']]);
    bridge.unsubscribe();
  });

  it('publishes events already on the bus when it starts', async () => {
    bus.publish(sampleEvent({ coordinatorId: 'early', level: 'hard' }));
    const bridge = bridgeFeedback(bus, transport, { origin: 'me', scheduler: clock.scheduler });
    await clock.advance(1);
    expect(transport.published.map((e) => [e.event.coordinator_id, e.event.level])).toEqual([
      ['early', 'hard'],
    ]);
    bridge.unsubscribe();
  });

  it('never re-publishes a received event as a heartbeat, and puts its staleness on the bus', async () => {
    const bridge = bridgeFeedback(bus, transport, {
      origin: 'me',
      scheduler: clock.scheduler,
      heartbeatMs: 10,
      staleAfterMs: 30,
    });
    transport.deliver(envelopeOf(1, { coordinatorId: 'remote', level: 'hard', ts: 0 }, 'them'));
    await clock.advance(100);
    expect(transport.published).toEqual([]);
    expect(onBus.map((e) => [e.coordinatorId, e.level, e.reason])).toEqual([
      ['remote', 'hard', 'high_watermark'],
      ['remote', 'ok', 'feedback_stale'],
    ]);
    bridge.unsubscribe();
  });

  it('stops both ways on unsubscribe', async () => {
    const bridge = bridgeFeedback(bus, transport, { origin: 'me', scheduler: clock.scheduler });
    bridge.unsubscribe();
    bus.publish(sampleEvent({ coordinatorId: 'local' }));
    transport.deliver(envelopeOf(1, { coordinatorId: 'remote' }, 'them'));
    await clock.advance(1);
    expect(transport.published).toEqual([]);
    expect(onBus.map((e) => e.coordinatorId)).toEqual(['local']);
    expect(bus.subscriberCount).toBe(1);
    expect(transport.observers.size).toBe(0);
  });

  it('checks its arguments', () => {
    expect(() => bridgeFeedback({} as never, transport)).toThrow(
      new TypeError('bus must be a FeedbackBus, found object'),
    );
    expect(() => bridgeFeedback(bus, transport, { origin: 7 as never })).toThrow(TypeError);
  });
});
