import { Subject } from 'rxjs';
import { publishFeedback } from '../../lib/fleet/publish-feedback.js';
import type { FeedbackEnvelope } from '../../lib/fleet/feedback-envelope.js';
import type { FeedbackEvent } from '../../lib/feedback/feedback-event.js';
import { toWire } from '../../lib/feedback/wire.js';
import type { FeedbackTransportError } from '../../lib/errors/feedback-transport-error.js';
import { sampleEvent } from '../support/sample-event.js';
import { FakeFeedbackTransport } from './fake-feedback-transport.js';
import { VirtualClock } from './virtual-clock.js';

const summary = (envelope: FeedbackEnvelope) => [
  envelope.seq,
  envelope.event.coordinator_id,
  envelope.event.level,
  envelope.event.ts * 1000,
];

describe('publishFeedback', () => {
  let clock: VirtualClock;
  let transport: FakeFeedbackTransport;
  let feedback$: Subject<FeedbackEvent>;
  beforeEach(() => {
    clock = new VirtualClock();
    transport = new FakeFeedbackTransport();
    feedback$ = new Subject<FeedbackEvent>();
  });

  it('publishes every event in an envelope with its origin and a growing seq', async () => {
    const publishing = publishFeedback(feedback$, transport, {
      origin: 'ingest-1',
      scheduler: clock.scheduler,
    });
    const hard = sampleEvent();
    const soft = sampleEvent({ level: 'soft', previousLevel: 'hard', reason: 'queue_draining', ts: 5 });
    feedback$.next(hard);
    await clock.advance(1);
    feedback$.next(soft);
    await clock.advance(1);
    expect(transport.published).toEqual([
      { v: 1, origin: 'ingest-1', seq: 1, event: toWire(hard) },
      { v: 1, origin: 'ingest-1', seq: 2, event: toWire(soft) },
    ]);
    publishing.unsubscribe();
  });

  it('gives each call a different random origin by default', () => {
    const a = publishFeedback(feedback$, transport, { scheduler: clock.scheduler });
    const b = publishFeedback(feedback$, transport, { scheduler: clock.scheduler });
    feedback$.next(sampleEvent());
    const [first, second] = transport.published;
    expect(first!.origin).toMatch(/^[0-9a-f-]{36}$/);
    expect(second!.origin).not.toBe(first!.origin);
    a.unsubscribe();
    b.unsubscribe();
  });

  describe('heartbeats', () => {
    it("re-publishes each coordinator's current event after heartbeatMs of silence, ts refreshed", async () => {
      const publishing = publishFeedback(feedback$, transport, {
        heartbeatMs: 100,
        scheduler: clock.scheduler,
      });
      feedback$.next(sampleEvent({ ts: 0 }));
      await clock.advance(150);
      feedback$.next(sampleEvent({ level: 'soft', reason: 'queue_draining', ts: 150 })); // resets the heartbeat
      await clock.advance(300);
      expect(transport.published.map(summary)).toEqual([
        [1, 'orders', 'hard', 0],
        [2, 'orders', 'hard', 100],
        [3, 'orders', 'soft', 150],
        [4, 'orders', 'soft', 250],
        [5, 'orders', 'soft', 350],
        [6, 'orders', 'soft', 450],
      ]);
      publishing.unsubscribe();
    });

    it('stops when feedback$ completes, so readers see the level go stale', async () => {
      publishFeedback(feedback$, transport, { heartbeatMs: 100, scheduler: clock.scheduler });
      feedback$.next(sampleEvent({ ts: 0 }));
      await clock.advance(150);
      feedback$.complete();
      await clock.advance(500);
      expect(transport.published).toHaveLength(2);
      expect(clock.scheduler.actions).toHaveLength(0);
    });

    it('stops on unsubscribe', async () => {
      const publishing = publishFeedback(feedback$, transport, {
        heartbeatMs: 100,
        scheduler: clock.scheduler,
      });
      feedback$.next(sampleEvent({ ts: 0 }));
      publishing.unsubscribe();
      await clock.advance(500);
      feedback$.next(sampleEvent({ ts: 600 }));
      expect(transport.published).toHaveLength(1);
      expect(feedback$.observed).toBe(false);
    });
  });

  describe('one write in flight per coordinator', () => {
    it('keeps only the newest pending envelope while a write is in flight', async () => {
      const held: Array<() => void> = [];
      transport.publishResult = () => new Promise<void>((done) => held.push(done));
      const publishing = publishFeedback(feedback$, transport, {
        heartbeatMs: 1_000,
        scheduler: clock.scheduler,
      });
      feedback$.next(sampleEvent({ level: 'soft', ts: 1 }));
      feedback$.next(sampleEvent({ level: 'hard', ts: 2 }));
      feedback$.next(sampleEvent({ level: 'soft', ts: 3 }));
      feedback$.next(sampleEvent({ coordinatorId: 'bars', level: 'ok', ts: 4 })); // its own lane
      await clock.advance(1);
      expect(transport.published.map(summary)).toEqual([
        [1, 'orders', 'soft', 1],
        [4, 'bars', 'ok', 4],
      ]);
      held.shift()!();
      await clock.advance(1);
      // seq 2 (hard) was superseded by seq 3 before it could be sent.
      expect(transport.published.map(summary)).toEqual([
        [1, 'orders', 'soft', 1],
        [4, 'bars', 'ok', 4],
        [3, 'orders', 'soft', 3],
      ]);
      publishing.unsubscribe();
    });
  });

  describe('transport errors', () => {
    it('reports a failed publish to onError and tries again with the next heartbeat', async () => {
      const errors: FeedbackTransportError[] = [];
      let fail = true;
      transport.publishResult = () => (fail ? Promise.reject(new Error('ECONNREFUSED')) : Promise.resolve());
      const publishing = publishFeedback(feedback$, transport, {
        heartbeatMs: 100,
        scheduler: clock.scheduler,
        onError: (e) => errors.push(e),
      });
      feedback$.next(sampleEvent({ ts: 0 }));
      await clock.advance(1);
      fail = false;
      await clock.advance(100);
      expect(errors.map((e) => [e.name, e.operation, e.message, (e.cause as Error).message])).toEqual([
        [
          'FeedbackTransportError',
          'publish',
          'Feedback transport publish failed: Error: ECONNREFUSED',
          'ECONNREFUSED',
        ],
      ]);
      expect(transport.published.map(summary)).toEqual([
        [1, 'orders', 'hard', 0],
        [2, 'orders', 'hard', 100],
      ]);
      publishing.unsubscribe();
    });

    it('reports a publish that throws instead of rejecting, and never throws into the source', async () => {
      const errors: FeedbackTransportError[] = [];
      transport.publish = () => {
        throw new Error('not connected');
      };
      const publishing = publishFeedback(feedback$, transport, {
        scheduler: clock.scheduler,
        onError: (e) => errors.push(e),
      });
      expect(() => feedback$.next(sampleEvent())).not.toThrow();
      await clock.advance(1);
      expect(errors.map((e) => e.message)).toEqual([
        'Feedback transport publish failed: Error: not connected',
      ]);
      publishing.unsubscribe();
    });

    it('warns on the console by default', async () => {
      const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
      try {
        transport.publishResult = () => Promise.reject(new Error('READONLY'));
        const publishing = publishFeedback(feedback$, transport, { scheduler: clock.scheduler });
        feedback$.next(sampleEvent());
        await clock.advance(1);
        expect(warn).toHaveBeenCalledWith(
          'rxjs-backpressure: Feedback transport publish failed: Error: READONLY',
        );
        publishing.unsubscribe();
      } finally {
        warn.mockRestore();
      }
    });
  });

  it('checks its arguments', () => {
    expect(() => publishFeedback(null as never, transport)).toThrow(TypeError);
    expect(() => publishFeedback(feedback$, { publish: () => undefined } as never)).toThrow(
      'transport must be a FeedbackTransport (publish, snapshot, listen, close), found an object without snapshot, listen, close',
    );
    expect(() => publishFeedback(feedback$, transport, { heartbeatMs: 0 })).toThrow(RangeError);
    expect(() => publishFeedback(feedback$, transport, { origin: '' })).toThrow(
      new TypeError('origin must be a non-empty string, found string ""'),
    );
    expect(() => publishFeedback(feedback$, transport, { onError: 'log' as never })).toThrow(TypeError);
  });
});
