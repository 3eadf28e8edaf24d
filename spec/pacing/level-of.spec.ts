import { TestScheduler } from 'rxjs/testing';
import { NEVER, Subject } from 'rxjs';
import { levelOf } from '../../lib/pacing/level-of.js';
import { createFeedbackEvent, type FeedbackEvent } from '../../lib/feedback/feedback-event.js';
import type { BackpressureLevel } from '../../lib/levels/backpressure-level.js';
import { LEVEL_VALUES as L } from '../../lib/testing/level-values.js';

function event(coordinatorId: string, level: BackpressureLevel): FeedbackEvent {
  return createFeedbackEvent({
    coordinatorId,
    level,
    previousLevel: 'ok',
    queueSize: 0,
    capacity: 10,
    ts: 0,
  });
}

// a/b: coordinator 'a' or 'b'; o/s/h: level.
const E = {
  x: event('a', 'ok'),
  y: event('a', 'soft'),
  z: event('a', 'hard'),
  p: event('b', 'ok'),
  q: event('b', 'soft'),
  r: event('b', 'hard'),
};

describe('levelOf', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it("starts with 'ok', then follows one coordinator's level, distinct", () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const feedback = hot('  -y-r-y-z-p-x-|', E);
      const expected = '      os-----h---o-|';
      expectObservable(levelOf(feedback, 'a')).toBe(expected, L);
    });
  });

  it('follows the worst latest level across coordinators when no id is given', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const feedback = hot('  -y-r-x-q-p-y-x-|', E);
      const expected = '      os-h---s-o-s-o-|';
      expectObservable(levelOf(feedback)).toBe(expected, L);
    });
  });

  it('completes and errors with feedback$', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(levelOf(cold('-y|', E))).toBe('os|', L);
      expectObservable(levelOf(cold('-y#', E))).toBe('os#', L);
    });
  });

  it('errors with a TypeError for something that is not an event', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const feedback = cold('-n', { n: null as unknown as FeedbackEvent });
      expectObservable(levelOf(feedback)).toBe(
        'o#',
        L,
        new TypeError('feedback$ must emit feedback events, found null'),
      );
    });
  });

  it('describes what it found in the TypeError, and takes no plain levels', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const level = cold('-h', { h: 'hard' as unknown as FeedbackEvent });
      expectObservable(levelOf(level)).toBe(
        'o#',
        L,
        new TypeError('feedback$ must emit feedback events, found string "hard"'),
      );
      const number = cold('-n', { n: 7 as unknown as FeedbackEvent });
      expectObservable(levelOf(number)).toBe(
        'o#',
        L,
        new TypeError('feedback$ must emit feedback events, found number 7'),
      );
    });
  });

  it('unsubscribes from feedback$', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const feedback = hot('-y-z-x-', E);
      expectObservable(levelOf(feedback), '^--!').toBe('os-', L);
      expectSubscriptions(feedback.subscriptions).toBe('^--!');
    });
  });

  it('sees a synchronous event at once', () => {
    const feedback = new Subject<FeedbackEvent>();
    const levels: BackpressureLevel[] = [];
    levelOf(feedback, 'b').subscribe((l) => levels.push(l));
    feedback.next(E.r);
    feedback.next(E.y);
    feedback.next(E.q);
    expect(levels).toEqual(['ok', 'hard', 'soft']);
  });

  it('rejects bad arguments, naming them', () => {
    expect(() => levelOf(NEVER, '')).toThrow(
      new TypeError('coordinatorId must be a non-empty string, found string ""'),
    );
    expect(() => levelOf([] as unknown as typeof NEVER)).toThrow(/feedback\$ must be an Observable/);
  });
});
