import { config } from 'rxjs';
import { FeedbackBus, feedbackBus } from '../../lib/feedback/feedback-bus.js';
import { createFeedbackEvent, type FeedbackEvent } from '../../lib/feedback/feedback-event.js';
import type { FeedbackListenerError } from '../../lib/errors/feedback-listener-error.js';
import { isFeedbackListenerError } from '../../lib/errors/feedback-listener-error.js';
import { isBackpressureError } from '../../lib/errors/backpressure-error.js';

function event(level: FeedbackEvent['level'], coordinatorId = 'db', ts = 1_000): FeedbackEvent {
  return createFeedbackEvent({
    coordinatorId,
    level,
    previousLevel: 'ok',
    queueSize: level === 'hard' ? 8 : level === 'soft' ? 5 : 0,
    capacity: 10,
    reason: null,
    ts,
  });
}

describe('FeedbackBus', () => {
  let unhandled: unknown[];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeEach(() => {
    unhandled = [];
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
  });
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUnhandled);
  });

  it('delivers every event to every listener, in subscription order', () => {
    const bus = new FeedbackBus();
    const seen: string[] = [];
    bus.subscribe((e) => void seen.push(`a:${e.level}`));
    bus.subscribe((e) => void seen.push(`b:${e.level}`));
    bus.publish(event('soft'));
    bus.publish(event('hard'));
    expect(seen).toEqual(['a:soft', 'b:soft', 'a:hard', 'b:hard']);
  });

  it('delivers to feedback$ subscribers synchronously and without replay', () => {
    const bus = new FeedbackBus();
    bus.publish(event('soft'));
    const seen: FeedbackEvent[] = [];
    const subscription = bus.feedback$.subscribe((e) => seen.push(e));
    expect(seen).toEqual([]);
    const hard = event('hard');
    bus.publish(hard);
    expect(seen).toEqual([hard]);
    subscription.unsubscribe();
  });

  it('counts listeners and feedback$ subscriptions, and forgets them on unsubscribe', () => {
    const bus = new FeedbackBus();
    const a = bus.subscribe(() => undefined);
    const b = bus.feedback$.subscribe();
    expect(bus.subscriberCount).toBe(2);
    a.unsubscribe();
    b.unsubscribe();
    a.unsubscribe(); // idempotent
    expect(bus.subscriberCount).toBe(0);
  });

  it('keeps the latest event per coordinator', () => {
    const bus = new FeedbackBus();
    const first = event('soft', 'a');
    const second = event('hard', 'b');
    const third = event('ok', 'a');
    bus.publish(first);
    bus.publish(second);
    bus.publish(third);
    expect(bus.latest('a')).toBe(third);
    expect(bus.latest('b')).toBe(second);
    expect(bus.latest('c')).toBeUndefined();
    expect([...bus.latestAll().keys()]).toEqual(['a', 'b']);
  });

  describe('listener failures', () => {
    it('isolates a throwing listener, a rejecting one and a slow one, reporting each failure on errors$', async () => {
      const bus = new FeedbackBus();
      const errors: FeedbackListenerError[] = [];
      bus.errors$.subscribe((e) => errors.push(e as FeedbackListenerError));
      const received: string[] = [];
      let slowStarted = 0;
      let slowFinished = 0;
      // The slow listener waits for the test to let it go rather than on a timer the test would leave
      // running after it ends (a worker whose last file left one could not exit in time).
      let releaseSlow!: () => void;
      const slowGate = new Promise<void>((resolve) => (releaseSlow = resolve));
      bus.subscribe(() => {
        throw new Error('sync boom');
      });
      bus.subscribe(async () => {
        await Promise.resolve();
        throw new Error('async boom');
      });
      bus.subscribe(async () => {
        slowStarted++;
        await slowGate;
        slowFinished++;
      });
      bus.subscribe((e) => void received.push(e.level));

      for (const level of ['soft', 'hard', 'soft', 'ok'] as const) bus.publish(event(level));

      // publish returned synchronously: the slow listener was called four times but awaited by no one
      expect(slowStarted).toBe(4);
      expect(slowFinished).toBe(0);
      expect(received).toEqual(['soft', 'hard', 'soft', 'ok']);

      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(errors).toHaveLength(8);
      const sync = errors.filter((e) => !e.async);
      const async = errors.filter((e) => e.async);
      expect(sync.map((e) => (e.cause as Error).message)).toEqual(Array(4).fill('sync boom'));
      expect(async.map((e) => (e.cause as Error).message)).toEqual(Array(4).fill('async boom'));
      expect(errors.every((e) => isFeedbackListenerError(e) && isBackpressureError(e))).toBe(true);
      expect(sync[0]!.message).toBe(
        "A feedback listener threw while handling a 'soft' event of 'db': sync boom",
      );
      expect(sync[0]!.event.level).toBe('soft');
      expect(slowFinished).toBe(0);

      releaseSlow();
      await slowGate;
      await Promise.resolve();
      expect(slowFinished).toBe(4);
      expect(errors).toHaveLength(8);
      expect(unhandled).toEqual([]);
    });

    it('never throws from publish, even when an errors$ subscriber throws too', async () => {
      // RxJS reports a throwing subscriber through its unhandled-error hook; capture it here.
      const hooked: unknown[] = [];
      config.onUnhandledError = (error) => hooked.push(error);
      const bus = new FeedbackBus();
      bus.subscribe(() => {
        throw new Error('listener');
      });
      const reported: unknown[] = [];
      bus.errors$.subscribe({
        next: (e) => {
          reported.push(e);
          throw new Error('errors$ subscriber');
        },
      });
      expect(() => bus.publish(event('hard'))).not.toThrow();
      expect(reported).toHaveLength(1);
      await new Promise((resolve) => setTimeout(resolve, 10));
      config.onUnhandledError = null;
      expect(hooked.map((e) => (e as Error).message)).toEqual(['errors$ subscriber']);
    });

    it('reports a thenable whose then throws', () => {
      const bus = new FeedbackBus();
      const errors: FeedbackListenerError[] = [];
      bus.errors$.subscribe((e) => errors.push(e as FeedbackListenerError));
      bus.subscribe(() => ({
        then() {
          throw new Error('bad thenable');
        },
      }));
      bus.publish(event('soft'));
      expect(errors.map((e) => (e.cause as Error).message)).toEqual(['bad thenable']);
    });

    it('reports a non-Error rejection with its value', async () => {
      const bus = new FeedbackBus();
      const errors: FeedbackListenerError[] = [];
      bus.errors$.subscribe((e) => errors.push(e as FeedbackListenerError));
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      bus.subscribe(() => Promise.reject('plain string'));
      bus.publish(event('soft'));
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(errors[0]!.cause).toBe('plain string');
      expect(errors[0]!.message).toContain('rejected');
    });
  });

  describe('re-entrancy', () => {
    it('lets a listener unsubscribe itself or another during publish without skipping anyone', () => {
      const bus = new FeedbackBus();
      const seen: string[] = [];
      const first = bus.subscribe(() => {
        seen.push('first');
        first.unsubscribe();
        second.unsubscribe();
      });
      const second = bus.subscribe(() => void seen.push('second'));
      bus.subscribe(() => void seen.push('third'));
      bus.publish(event('soft'));
      bus.publish(event('hard'));
      // the snapshot taken at publish time still reaches 'second' once
      expect(seen).toEqual(['first', 'second', 'third', 'third']);
    });

    it('delivers an event published from inside a listener', () => {
      const bus = new FeedbackBus();
      const seen: string[] = [];
      bus.subscribe((e) => {
        seen.push(e.level);
        if (e.level === 'hard') bus.publish(event('soft'));
      });
      bus.publish(event('hard'));
      expect(seen).toEqual(['hard', 'soft']);
    });
  });

  it('rejects a listener that is not a function', () => {
    expect(() => new FeedbackBus().subscribe('nope' as never)).toThrow(
      new TypeError('listener must be a function, found string "nope"'),
    );
  });

  it('shares one default bus per process', () => {
    expect(feedbackBus()).toBe(feedbackBus());
    expect(feedbackBus()).toBeInstanceOf(FeedbackBus);
  });
});
