import { TestScheduler } from 'rxjs/testing';
import { BehaviorSubject, NEVER, of, take } from 'rxjs';
import { pacedInterval } from '../../lib/pacing/paced-interval.js';
import type { BackpressureLevel } from '../../lib/levels/backpressure-level.js';
import { LEVEL_VALUES as L } from '../../lib/testing/level-values.js';

const T = { a: 0, b: 1, c: 2, d: 3, e: 4 };

describe('pacedInterval', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('ticks 0, 1, 2, ... at the ok period, the first one period after subscription', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const level = cold('-', L);
      expectObservable(pacedInterval(level, { ok: 3 }, testScheduler), '^---------!').toBe('---a--b--c', T);
    });
  });

  it('uses 100 ms at ok and 250 ms at soft by default', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const level = cold('150ms s', L);
      const expected = '100ms a 249ms b 249ms c';
      expectObservable(pacedInterval(level, undefined, testScheduler), '^ 700ms !').toBe(expected, T);
    });
  });

  describe('level changes', () => {
    it('ticks at the soft period after the level rises', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const level = cold('---s', L);
        const expected = '  --a----b----c--';
        expectObservable(pacedInterval(level, { ok: 2, soft: 5 }, testScheduler), '^--------------!').toBe(
          expected,
          T,
        );
      });
    });

    it('ticks at once when a shorter period has already elapsed, then keeps the new rhythm', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const level = cold('s----o', L);
        expectObservable(pacedInterval(level, { ok: 2, soft: 10 }, testScheduler), '^---------!').toBe(
          '-----a-b-c',
          T,
        );
      });
    });

    it("stops while the period is 'pause' (hard, by default) and ticks at once after a long pause", () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const level = cold('--h-----o', L);
        expectObservable(pacedInterval(level, { ok: 3 }, testScheduler), '^--------------!').toBe(
          '--------a--b--c',
          T,
        );
      });
    });

    it('resumes at the soft period when hard falls to soft', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const level = cold('h---s', L);
        expectObservable(
          pacedInterval(level, { soft: 3, hard: 'pause' }, testScheduler),
          '^----------!',
        ).toBe('----a--b--c', T);
      });
    });

    it('keeps the rhythm after a pause shorter than a period', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const level = cold('-h-o', L);
        expectObservable(pacedInterval(level, { ok: 5 }, testScheduler), '^----------!').toBe(
          '-----a----b',
          T,
        );
      });
    });

    it('keeps the last level when level$ completes', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const level = cold('s|', L);
        expectObservable(pacedInterval(level, { soft: 4 }, testScheduler), '^--------!').toBe('----a---b', T);
        expectSubscriptions(level.subscriptions).toBe('^!');
      });
    });
  });

  describe('errors', () => {
    it('errors when level$ errors', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const level = cold('-----#', L);
        expectObservable(pacedInterval(level, { ok: 2 }, testScheduler)).toBe('--a-b#', T);
      });
    });

    it('errors with a TypeError when level$ emits something that is not a level', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const level = cold('---x', { x: 42 as unknown as BackpressureLevel });
        expectObservable(pacedInterval(level, { ok: 2 }, testScheduler)).toBe(
          '--a#',
          T,
          new TypeError(`level$ must emit 'ok', 'soft' or 'hard', found number 42`),
        );
      });
    });
  });

  describe('unsubscription and teardown', () => {
    it('unsubscribes from level$ and cancels the pending tick', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const level = cold('--------', L);
        expectObservable(pacedInterval(level, { ok: 3 }, testScheduler), '^----!').toBe('---a-', T);
        expectSubscriptions(level.subscriptions).toBe('^----!');
        testScheduler.flush();
        expect(testScheduler.frame).toBe(5); // the tick due at 6 never ran
      });
    });

    it('stops with take, like interval', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const level = cold('-', L);
        expectObservable(pacedInterval(level, { ok: 2 }, testScheduler).pipe(take(2))).toBe('--a-(b|)', T);
        expectSubscriptions(level.subscriptions).toBe('^---!');
      });
    });
  });

  describe('synchronous and re-entrant level$', () => {
    it('does not tick when level$ is synchronously paused at subscription', () => {
      testScheduler.run(({ expectObservable }) => {
        expectObservable(
          pacedInterval(of<BackpressureLevel>('hard'), { ok: 1 }, testScheduler),
          '^---!',
        ).toBe('-----');
      });
    });

    it('applies a level change made by the observer of a tick', () => {
      testScheduler.run(() => {
        const level = new BehaviorSubject<BackpressureLevel>('ok');
        const ticks: { tick: number; at: number }[] = [];
        const subscription = pacedInterval(level, { ok: 2, soft: 5 }, testScheduler).subscribe((tick) => {
          ticks.push({ tick, at: testScheduler.now() });
          if (tick === 1) level.next('hard');
          if (tick === 2) level.next('soft');
        });
        testScheduler.schedule(() => level.next('ok'), 10);
        testScheduler.schedule(() => subscription.unsubscribe(), 30);
        testScheduler.flush();
        expect(ticks).toEqual([
          { tick: 0, at: 2 },
          { tick: 1, at: 4 },
          { tick: 2, at: 10 }, // the pause ended after the period had passed: at once
          { tick: 3, at: 15 }, // soft, set by the observer of tick 2
          { tick: 4, at: 20 },
          { tick: 5, at: 25 },
        ]);
      });
    });
  });

  describe('options', () => {
    it('rejects bad periods at call time, naming them', () => {
      expect(() => pacedInterval(NEVER, { ok: 0 })).toThrow(
        new RangeError(`ok must be a finite number within (0, 2147483647] or 'pause', found 0`),
      );
      // A longer period would make a timer fire after 1 ms.
      expect(() => pacedInterval(NEVER, { soft: 2_147_483_648 })).toThrow(
        new RangeError(`soft must be a finite number within (0, 2147483647] or 'pause', found 2147483648`),
      );
      expect(() => pacedInterval(NEVER, { soft: 2_147_483_647 })).not.toThrow();
      expect(() => pacedInterval(NEVER, { soft: Number.NaN })).toThrow(/soft must be/);
      expect(() => pacedInterval(NEVER, { hard: '1s' as unknown as number })).toThrow(
        new TypeError(`hard must be a number or 'pause', found string "1s"`),
      );
      expect(() => pacedInterval(null as unknown as typeof NEVER)).toThrow(
        new TypeError('level$ must be an Observable, found null'),
      );
    });
  });
});
