import { TestScheduler } from 'rxjs/testing';
import { NEVER, Subject, of } from 'rxjs';
import { aimdRate } from '../../lib/pacing/aimd-rate.js';
import { createFeedbackEvent, type FeedbackEvent } from '../../lib/feedback/feedback-event.js';
import type { BackpressureLevel } from '../../lib/levels/backpressure-level.js';
import { LEVEL_VALUES as L } from '../../lib/testing/level-values.js';

const OPTIONS = { initial: 10, min: 2, max: 14, increase: 2, intervalMs: 5, decreaseFactor: 0.5 };

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

describe('aimdRate', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('emits initial on subscribe, then adds increase every intervalMs while ok, up to max', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const level = cold('-', L);
      const expected = 'a----b----c----------';
      expectObservable(aimdRate(level, OPTIONS, testScheduler), '^-------------------!').toBe(expected, {
        a: 10,
        b: 12,
        c: 14,
      });
    });
  });

  it('multiplies by decreaseFactor at once when the level rises to soft, then holds while soft', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const level = cold('--s', L);
      expectObservable(aimdRate(level, OPTIONS, testScheduler), '^-------------!').toBe('a-b-----------', {
        a: 10,
        b: 5,
      });
    });
  });

  it('keeps multiplying every intervalMs while hard, never below min', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const level = cold('--h', L);
      const expected = 'a-b----c----d---------';
      expectObservable(
        aimdRate(level, { ...OPTIONS, initial: 14 }, testScheduler),
        '^--------------------!',
      ).toBe(expected, { a: 14, b: 7, c: 3.5, d: 2 });
    });
  });

  it('cuts again when soft rises to hard, holds when hard falls to soft, and grows again at ok', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const level = cold('-s-h-s---o', L);
      const expected = 'ab-c----------d----e';
      expectObservable(aimdRate(level, { ...OPTIONS, min: 1 }, testScheduler), '^-------------------!').toBe(
        expected,
        {
          a: 10,
          b: 5,
          c: 2.5,
          d: 4.5,
          e: 6.5,
        },
      );
    });
  });

  it('restarts the interval at each level change', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const level = cold('---s-o', L);
      // ok from 0: the step due at 5 is cancelled by soft at 3; ok again at 5: next step at 10
      expectObservable(aimdRate(level, { ...OPTIONS, max: 20 }, testScheduler), '^----------!').toBe(
        'a--b------c',
        {
          a: 10,
          b: 5,
          c: 7,
        },
      );
    });
  });

  it('takes feedback events: the worst latest level across coordinators', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const feedback = cold('-xyz', { x: event('a', 'soft'), y: event('b', 'hard'), z: event('a', 'ok') });
      expectObservable(aimdRate(feedback, { ...OPTIONS, intervalMs: 100 }, testScheduler), '^---!').toBe(
        'abc',
        {
          a: 10,
          b: 5,
          c: 2.5,
        },
      );
    });
  });

  it('uses documented defaults: initial 100, +10 a second, halving', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const level = cold('1500ms s', L);
      expectObservable(aimdRate(level, undefined, testScheduler), '^ 2000ms !').toBe('a 999ms b 499ms c', {
        a: 100,
        b: 110,
        c: 55,
      });
    });
  });

  describe('completion and errors', () => {
    it('keeps adapting with the last level after the input completes', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const level = cold('h|', L);
        expectObservable(aimdRate(level, OPTIONS, testScheduler), '^---------!').toBe('(ab)-c----', {
          a: 10,
          b: 5,
          c: 2.5,
        });
        expectSubscriptions(level.subscriptions).toBe('^!');
      });
    });

    it('errors when the input errors', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const level = cold('---#', L);
        expectObservable(aimdRate(level, OPTIONS, testScheduler)).toBe('a--#', { a: 10 });
      });
    });

    it('errors with a TypeError for an input that is neither a level nor an event', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const level = cold('--x', { x: 7 as unknown as BackpressureLevel });
        expectObservable(aimdRate(level, OPTIONS, testScheduler)).toBe(
          'a-#',
          { a: 10 },
          new TypeError('feedback$ must emit feedback events or levels, found number 7'),
        );
      });
    });
  });

  describe('unsubscription and teardown', () => {
    it('unsubscribes from the input and cancels the interval', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const level = cold('-------', L);
        expectObservable(aimdRate(level, OPTIONS, testScheduler), '^-------!').toBe('a----b--', {
          a: 10,
          b: 12,
        });
        expectSubscriptions(level.subscriptions).toBe('^-------!');
        testScheduler.flush();
        expect(testScheduler.frame).toBe(8); // the step due at 10 never ran
      });
    });
  });

  describe('synchronous and re-entrant input', () => {
    it('emits initial, then the cut, for a synchronous hard input', () => {
      const rates: number[] = [];
      aimdRate(of<BackpressureLevel>('hard'), OPTIONS)
        .subscribe((r) => rates.push(r))
        .unsubscribe();
      expect(rates).toEqual([10, 5]);
    });

    it('applies a level change made by the observer of a rate', () => {
      const level = new Subject<BackpressureLevel>();
      const rates: number[] = [];
      const subscription = aimdRate(level, OPTIONS).subscribe((r) => {
        rates.push(r);
        if (r === 5) level.next('hard'); // soft cut to 5 made the observer see hard
      });
      level.next('soft');
      expect(rates).toEqual([10, 5, 2.5]);
      subscription.unsubscribe();
    });
  });

  describe('options', () => {
    it('rejects bad options at call time, naming them', () => {
      expect(() => aimdRate(NEVER, { decreaseFactor: 1 })).toThrow(
        new RangeError('decreaseFactor must be within (0, 1), found 1'),
      );
      expect(() => aimdRate(NEVER, { decreaseFactor: 0 })).toThrow(/decreaseFactor/);
      expect(() => aimdRate(NEVER, { min: 50, initial: 10 })).toThrow(
        new RangeError('initial must be a finite number within [50, 10000], found 10'),
      );
      expect(() => aimdRate(NEVER, { min: 10, max: 5, initial: 10 })).toThrow(/max/);
      expect(() => aimdRate(NEVER, { increase: 0 })).toThrow(/increase/);
      expect(() => aimdRate(NEVER, { intervalMs: -1 })).toThrow(/intervalMs/);
      expect(() => aimdRate(NEVER, { intervalMs: 2_147_483_648 })).toThrow(
        new RangeError('intervalMs must be a finite number within (0, 2147483647], found 2147483648'),
      );
      expect(() => aimdRate(NEVER, { intervalMs: 2_147_483_647 })).not.toThrow();
      expect(() => aimdRate({} as typeof NEVER)).toThrow(
        new TypeError('feedback$ must be an Observable, found object'),
      );
    });
  });
});
