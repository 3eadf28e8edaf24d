import { TestScheduler } from 'rxjs/testing';
import { map, type Observable } from 'rxjs';
import { fromTransport } from '../../lib/fleet/from-transport.js';
import type { FeedbackEnvelope } from '../../lib/fleet/feedback-envelope.js';
import type { FeedbackEvent } from '../../lib/feedback/feedback-event.js';
import { levelOf } from '../../lib/pacing/level-of.js';
import {
  isFeedbackTransportError,
  type FeedbackTransportError,
} from '../../lib/errors/feedback-transport-error.js';
import { envelopeOf, FakeFeedbackTransport } from './fake-feedback-transport.js';
import { VirtualClock } from './virtual-clock.js';

/** What a test compares: who, which level, why. */
const brief = (event: FeedbackEvent) => ({
  id: event.coordinatorId,
  level: event.level,
  reason: event.reason,
});

/** Feeds `messages$` (envelopes, or 'resync') to a fake transport's listeners. */
function play(transport: FakeFeedbackTransport, messages$: Observable<FeedbackEnvelope | 'resync'>) {
  messages$.subscribe((message) => (message === 'resync' ? transport.resync() : transport.deliver(message)));
}

describe('fromTransport', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  const hard = (seq: number, ts = 0, origin?: string) =>
    envelopeOf(seq, { level: 'hard', previousLevel: 'soft', reason: 'high_watermark', ts }, origin);
  const soft = (seq: number, ts = 0, origin?: string) =>
    envelopeOf(
      seq,
      { level: 'soft', previousLevel: 'hard', reason: 'queue_draining', queueSize: 6_000, ts },
      origin,
    );
  const ok = (seq: number, ts = 0, origin?: string) =>
    envelopeOf(
      seq,
      { level: 'ok', previousLevel: 'soft', reason: 'queue_recovered', queueSize: 100, ts },
      origin,
    );

  describe('ordering and dedupe', () => {
    it('emits live envelopes in order and drops those not newer from the same publisher', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const transport = new FakeFeedbackTransport();
        // seq 2 arrives after seq 3: it is older and dropped.
        play(transport, hot('-a-b-c-d', { a: hard(1), b: soft(3), c: soft(2), d: ok(4) }));
        const levels$ = levelOf(fromTransport(transport, { staleAfterMs: 1_000 }), 'orders');
        expectObservable(levels$, '^-------!').toBe('oh-s---o', { o: 'ok', h: 'hard', s: 'soft' });
      });
    });

    it('lets heartbeats (same content, higher seq) keep a level without emitting it again', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const transport = new FakeFeedbackTransport();
        play(transport, hot('-a-b-c', { a: hard(1), b: hard(2, 2), c: hard(3, 4) }));
        const events$ = fromTransport(transport, { staleAfterMs: 1_000 });
        expectObservable(events$.pipe(mapBrief()), '^-----!').toBe('-a', {
          a: { id: 'orders', level: 'hard', reason: 'high_watermark' },
        });
      });
    });

    it('orders envelopes of different publishers (a restarted process) by ts', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const transport = new FakeFeedbackTransport();
        // publisher b restarted with seq 1 and a later ts: newer; then a's late seq 9, older ts: dropped.
        play(transport, hot('-a-b-c', { a: hard(5, 10, 'a'), b: ok(1, 20, 'b'), c: soft(9, 15, 'a') }));
        const levels$ = levelOf(fromTransport(transport, { staleAfterMs: 1_000 }), 'orders');
        expectObservable(levels$, '^-----!').toBe('oh-o', { o: 'ok', h: 'hard' });
      });
    });

    it('keeps coordinators apart', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const transport = new FakeFeedbackTransport();
        const other = envelopeOf(1, { coordinatorId: 'bars', level: 'soft', reason: 'soft_watermark' }, 'b');
        play(transport, hot('-a-b-c', { a: hard(1), b: other, c: ok(2) }));
        const events$ = fromTransport(transport, { staleAfterMs: 1_000 });
        const values = {
          a: { id: 'orders', level: 'hard', reason: 'high_watermark' },
          b: { id: 'bars', level: 'soft', reason: 'soft_watermark' },
          c: { id: 'orders', level: 'ok', reason: 'queue_recovered' },
        };
        expectObservable(events$.pipe(mapBrief()), '^-----!').toBe('-a-b-c', values);
      });
    });
  });

  describe('staleness', () => {
    const stale = { id: 'orders', level: 'ok', reason: 'feedback_stale' };
    const hardBrief = { id: 'orders', level: 'hard', reason: 'high_watermark' };

    it('turns a level not heard of for staleAfterMs into ok with reason feedback_stale', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const transport = new FakeFeedbackTransport();
        play(transport, hot('-a', { a: hard(1) }));
        const events$ = fromTransport(transport, { staleAfterMs: 10, scheduler: testScheduler });
        expectObservable(events$.pipe(mapBrief()), '^ 20ms !').toBe('-a 9ms s', { a: hardBrief, s: stale });
      });
    });

    it('is postponed by every heartbeat and undone by the next envelope', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const transport = new FakeFeedbackTransport();
        // heartbeats at 6 and 12 keep hard fresh until 22; seq 4 at 30 brings hard back.
        play(
          transport,
          hot('a 5ms b 5ms c 17ms d', { a: hard(1), b: hard(2, 6), c: hard(3, 12), d: hard(4, 30) }),
        );
        const events$ = fromTransport(transport, { staleAfterMs: 10, scheduler: testScheduler });
        expectObservable(events$.pipe(mapBrief()), '^ 40ms !').toBe('a 21ms s 7ms a 9ms s', {
          a: hardBrief,
          s: stale,
        });
      });
    });

    it('keeps the last queueSize and capacity and says which level went stale', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const transport = new FakeFeedbackTransport();
        play(transport, hot('a', { a: hard(1) }));
        const events$ = fromTransport(transport, { staleAfterMs: 5, scheduler: testScheduler });
        expectObservable(events$, '^ 9ms !').toBe('a 4ms s', {
          a: expect.objectContaining({ level: 'hard' }) as never,
          s: expect.objectContaining({
            level: 'ok',
            previousLevel: 'hard',
            reason: 'feedback_stale',
            queueSize: 8_100,
            capacity: 10_000,
            ts: 5,
          }) as never,
        });
      });
    });
  });

  describe('errors and teardown', () => {
    it('reports an envelope whose event is malformed and goes on', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const transport = new FakeFeedbackTransport();
        const errors: FeedbackTransportError[] = [];
        const bad = {
          ...hard(1),
          event: { ...hard(1).event, level: 'severe' },
        } as unknown as FeedbackEnvelope;
        play(transport, hot('-a-b', { a: bad, b: hard(2) }));
        const events$ = fromTransport(transport, { staleAfterMs: 100, onError: (e) => errors.push(e) });
        expectObservable(events$.pipe(mapBrief()), '^---!').toBe('---b', {
          b: { id: 'orders', level: 'hard', reason: 'high_watermark' },
        });
        testScheduler.flush();
        expect(errors.map((e) => [e.operation, e.message])).toEqual([
          ['message', expect.stringContaining('"level"')],
        ]);
      });
    });

    it('errors with a FeedbackTransportError when listening fails for good', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const transport = new FakeFeedbackTransport();
        cold('--x').subscribe(() => transport.fail(new Error('connection closed')));
        const events$ = fromTransport(transport, { staleAfterMs: 100 });
        expectObservable(events$).toBe('--#', undefined, expect.objectContaining({ operation: 'listen' }));
      });
    });

    it('stops listening and cancels staleness timers on unsubscribe', () => {
      const transport = new FakeFeedbackTransport();
      const seen: FeedbackEvent[] = [];
      const subscription = fromTransport(transport, { staleAfterMs: 10, scheduler: testScheduler }).subscribe(
        (e) => seen.push(e),
      );
      transport.deliver(hard(1));
      expect(transport.observers.size).toBe(1);
      subscription.unsubscribe();
      expect(transport.observers.size).toBe(0);
      testScheduler.flush();
      expect(seen.map(brief)).toEqual([{ id: 'orders', level: 'hard', reason: 'high_watermark' }]);
      expect(testScheduler.actions).toHaveLength(0);
    });

    it('checks its arguments', () => {
      const transport = new FakeFeedbackTransport();
      expect(() => fromTransport({} as never)).toThrow(
        new TypeError(
          'transport must be a FeedbackTransport (publish, snapshot, listen, close), found an object without publish, snapshot, listen, close',
        ),
      );
      expect(() => fromTransport(transport, { staleAfterMs: 0 })).toThrow(RangeError);
      expect(() => fromTransport(transport, { staleAfterMs: '5' as never })).toThrow(TypeError);
      expect(() => fromTransport(transport, { onError: 1 as never })).toThrow(TypeError);
    });
  });

  describe('snapshot and resync', () => {
    it('listens first, then reads the snapshot: a late joiner gets every current level', async () => {
      const clock = new VirtualClock();
      const transport = new FakeFeedbackTransport();
      transport.storeSilently(hard(1));
      transport.storeSilently(
        envelopeOf(7, { coordinatorId: 'bars', level: 'soft', reason: 'soft_watermark' }, 'b'),
      );
      const seen: FeedbackEvent[] = [];
      const subscription = fromTransport(transport, {
        staleAfterMs: 100,
        scheduler: clock.scheduler,
      }).subscribe((e) => seen.push(e));
      await clock.advance(1);
      expect(transport.calls).toEqual(['listen', 'snapshot']);
      expect(seen.map(brief)).toEqual([
        { id: 'orders', level: 'hard', reason: 'high_watermark' },
        { id: 'bars', level: 'soft', reason: 'soft_watermark' },
      ]);
      subscription.unsubscribe();
    });

    it('judges snapshot entries by their ts: an old one is stale at once, a young one later', async () => {
      const clock = new VirtualClock();
      await clock.advance(1_000);
      const transport = new FakeFeedbackTransport();
      transport.storeSilently(hard(1, 500)); // 500 ms old
      transport.storeSilently(envelopeOf(1, { coordinatorId: 'bars', level: 'soft', ts: 950 }, 'b')); // 50 ms old
      const seen: Array<[number, ReturnType<typeof brief>]> = [];
      const subscription = fromTransport(transport, {
        staleAfterMs: 100,
        scheduler: clock.scheduler,
      }).subscribe((e) => seen.push([clock.now(), brief(e)]));
      await clock.advance(200);
      expect(seen).toEqual([
        [1_000, { id: 'orders', level: 'ok', reason: 'feedback_stale' }],
        [1_000, { id: 'bars', level: 'soft', reason: 'high_watermark' }],
        [1_050, { id: 'bars', level: 'ok', reason: 'feedback_stale' }],
      ]);
      subscription.unsubscribe();
    });

    it('reads the snapshot again on resync and recovers a level missed while disconnected', async () => {
      const clock = new VirtualClock();
      const transport = new FakeFeedbackTransport();
      const seen: FeedbackEvent[] = [];
      const subscription = fromTransport(transport, {
        staleAfterMs: 1_000,
        scheduler: clock.scheduler,
      }).subscribe((e) => seen.push(e));
      transport.deliver(hard(1));
      await clock.advance(10);
      transport.storeSilently(ok(2)); // published during the gap: no message arrived
      await clock.advance(10);
      expect(seen.map((e) => e.level)).toEqual(['hard']);
      transport.resync();
      await clock.advance(10);
      expect(seen.map((e) => e.level)).toEqual(['hard', 'ok']);
      expect(transport.calls).toEqual(['listen', 'snapshot', 'snapshot']);
      // The same snapshot read twice changes nothing.
      transport.resync();
      await clock.advance(10);
      expect(seen).toHaveLength(2);
      subscription.unsubscribe();
    });

    it('reports a snapshot that cannot be read, keeps listening, and reads it again a second later', async () => {
      const clock = new VirtualClock();
      const transport = new FakeFeedbackTransport();
      const snapshot = transport.snapshot.bind(transport);
      let failures = 2;
      let reads = 0;
      transport.snapshot = () => (
        reads++,
        failures-- > 0 ? Promise.reject(new Error('READONLY')) : snapshot()
      );
      transport.storeSilently(envelopeOf(1, { coordinatorId: 'bars', level: 'soft' }, 'b'));
      const errors: FeedbackTransportError[] = [];
      const seen: FeedbackEvent[] = [];
      const subscription = fromTransport(transport, {
        scheduler: clock.scheduler,
        onError: (e) => errors.push(e),
      }).subscribe((e) => seen.push(e));
      await clock.advance(1);
      transport.deliver(hard(1));
      expect(errors.map((e) => isFeedbackTransportError(e) && e.message)).toEqual([
        'Feedback transport snapshot failed: Error: READONLY',
      ]);
      expect(seen.map((e) => e.level)).toEqual(['hard']);
      await clock.advance(2_000);
      expect(errors).toHaveLength(2);
      expect(seen.map((e) => [e.coordinatorId, e.level])).toEqual([
        ['orders', 'hard'],
        ['bars', 'soft'],
      ]);
      await clock.advance(5_000);
      expect(reads).toBe(3); // no more retries once a read succeeded
      subscription.unsubscribe();
    });
  });
});

function mapBrief() {
  return map(brief);
}
