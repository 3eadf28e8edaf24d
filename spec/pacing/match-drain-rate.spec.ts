import { TestScheduler } from 'rxjs/testing';
import { NEVER, Subject, type Observable } from 'rxjs';
import { matchDrainRate, type MatchDrainRateOptions } from '../../lib/pacing/match-drain-rate.js';
import type { BackpressureLevel } from '../../lib/levels/backpressure-level.js';
import { LEVEL_VALUES } from '../../lib/testing/level-values.js';

describe('matchDrainRate', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  /** Runs `rate$` under virtual time for `ms` and returns [frame, rate] pairs. */
  function record(
    build: (helpers: { hot: TestScheduler['createHotObservable'] }) => Observable<number>,
    ms: number,
  ): [number, number][] {
    const seen: [number, number][] = [];
    testScheduler.run(({ hot }) => {
      const subscription = build({ hot: hot as never }).subscribe((rate) =>
        seen.push([testScheduler.now(), rate]),
      );
      testScheduler.schedule(() => subscription.unsubscribe(), ms);
    });
    return seen;
  }

  describe('following levels only', () => {
    const options: MatchDrainRateOptions = { initial: 100, probeEveryMs: 10 };

    it('tracks the drain rate with headroom in ok, matches it in soft, backs off in hard', () => {
      const seen = record(({ hot }) => {
        const level$ = hot('o--s---h---o', LEVEL_VALUES) as Observable<BackpressureLevel>;
        const drainRate$ = hot('-a---b---c--', { a: 200, b: 300, c: 400 }) as Observable<number>;
        return matchDrainRate({ drainRate$, level$ }, options, testScheduler);
      }, 25);
      expect(seen).toEqual([
        [0, 100], // initial
        [1, 210], // ok: 200 * 1.05
        [3, 200], // soft: the drain rate
        [5, 300],
        [7, 150], // hard: min(300, 300) * 0.5
        [9, 75], // still hard at the next sample: cut again
        [11, 420], // ok: 400 * 1.05
        [21, 525], // a probe 10 ms after ok began: * 1.25
      ]);
    });

    it('does not fall in ok when the drain rate does', () => {
      const seen = record(({ hot }) => {
        const drainRate$ = hot('-a-b-', { a: 1_000, b: 10 }) as Observable<number>;
        return matchDrainRate({ drainRate$, level$: NEVER }, options, testScheduler);
      }, 5);
      expect(seen).toEqual([
        [0, 100],
        [1, 1_050],
      ]);
    });

    it('probes upward every probeEveryMs while ok, and only then', () => {
      const seen = record(({ hot }) => {
        const level$ = hot('-------------------------s', LEVEL_VALUES) as Observable<BackpressureLevel>;
        return matchDrainRate({ drainRate$: NEVER, level$ }, options, testScheduler);
      }, 60);
      expect(seen).toEqual([
        [0, 100],
        [10, 125],
        [20, 156.25],
        [25, 1], // soft with no drain measured yet: the floor
      ]);
    });
  });

  describe('steering by depth', () => {
    it('adds the gap to the target depth over settleMs to the drain rate', () => {
      const seen = record(({ hot }) => {
        const level$ = hot('s----', LEVEL_VALUES) as Observable<BackpressureLevel>;
        const drainRate$ = hot('-a---', { a: 1_000 }) as Observable<number>;
        const depth$ = hot('--x-y', { x: 50, y: 70 }) as Observable<number>;
        // capacity 100, default watermarks: target 0.6 * 100 = 60 items; settleMs 100
        return matchDrainRate({ drainRate$, level$, depth$, capacity: 100 }, {}, testScheduler);
      }, 6);
      expect(seen).toEqual([
        [0, 100],
        [0, 1], // soft, nothing drained yet, no depth yet: the floor
        [1, 1_000],
        [2, 1_100], // 10 items short: + 10 / 0.1 s
        [4, 900], // 10 items over: - 100 / s
      ]);
    });

    it('takes the target from the options and the watermarks', () => {
      const seen = record(({ hot }) => {
        const level$ = hot('s---', LEVEL_VALUES) as Observable<BackpressureLevel>;
        const drainRate$ = hot('-a--', { a: 1_000 }) as Observable<number>;
        const depth$ = hot('--x-', { x: 0 }) as Observable<number>;
        return matchDrainRate(
          {
            drainRate$,
            level$,
            depth$,
            capacity: 100,
            watermarks: { soft: 0.2, softExit: 0.1, hardExit: 0.4 },
          },
          { settleMs: 1_000 },
          testScheduler,
        );
      }, 4);
      // target (0.2 + 0.4) / 2 * 100 = 30 items, 30 short over 1 s: + 30 / s
      expect(seen.at(-1)).toEqual([2, 1_030]);
    });
  });

  it('stays within min and max', () => {
    const seen = record(({ hot }) => {
      const level$ = hot('o-h', LEVEL_VALUES) as Observable<BackpressureLevel>;
      const drainRate$ = hot('-a-', { a: 5_000 }) as Observable<number>;
      return matchDrainRate({ drainRate$, level$ }, { initial: 100, min: 80, max: 1_000 }, testScheduler);
    }, 3);
    expect(seen).toEqual([
      [0, 100],
      [1, 1_000],
      [2, 500],
    ]);
  });

  it('follows a coordinator-shaped object: drainRate$, level$, depth$, capacity and watermarks', () => {
    const drainRate$ = new Subject<number>();
    const level$ = new Subject<BackpressureLevel>();
    const depth$ = new Subject<number>();
    const coordinatorLike = { drainRate$, level$, depth$, capacity: 1_000, watermarks: {}, id: 'x' };
    const seen: number[] = [];
    const subscription = matchDrainRate(coordinatorLike, { initial: 10 }, testScheduler).subscribe((r) =>
      seen.push(r),
    );
    level$.next('soft');
    drainRate$.next(500);
    depth$.next(600);
    expect(seen).toEqual([10, 1, 500]);
    subscription.unsubscribe();
  });

  describe('errors', () => {
    it('errors with a RangeError for a drain rate or depth that is not a count', () => {
      const errors: unknown[] = [];
      const drainRate$ = new Subject<number>();
      matchDrainRate({ drainRate$, level$: NEVER }, {}, testScheduler).subscribe({
        error: (e: unknown) => errors.push(e),
      });
      drainRate$.next(Number.NaN);
      expect(errors[0]).toBeInstanceOf(RangeError);
      expect(String(errors[0])).toMatch(
        /source\.drainRate\$ must emit finite numbers >= 0, found number NaN/,
      );
    });

    it('errors with a TypeError for a level that is not one', () => {
      const errors: unknown[] = [];
      const level$ = new Subject<BackpressureLevel>();
      matchDrainRate({ drainRate$: NEVER, level$ }, {}, testScheduler).subscribe({
        error: (e: unknown) => errors.push(e),
      });
      level$.next('busy' as BackpressureLevel);
      expect(errors[0]).toBeInstanceOf(TypeError);
    });

    it('errors with its inputs', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const level$ = hot<BackpressureLevel>('--#');
        expectObservable(matchDrainRate({ drainRate$: NEVER, level$ }, { initial: 5 }, testScheduler)).toBe(
          'a-#',
          { a: 5 },
        );
      });
    });
  });

  it('stops probing and unsubscribes its inputs when unsubscribed', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const level$ = hot<BackpressureLevel>('----');
      const drainRate$ = hot<number>('----');
      expectObservable(
        matchDrainRate({ drainRate$, level$ }, { initial: 5, probeEveryMs: 2 }, testScheduler),
        '^--!',
      ).toBe('a-b', { a: 5, b: 6.25 });
      expectSubscriptions(level$.subscriptions).toBe('^--!');
      expectSubscriptions(drainRate$.subscriptions).toBe('^--!');
    });
    expect(testScheduler.actions).toHaveLength(0);
  });

  describe('options', () => {
    const source = { drainRate$: NEVER, level$: NEVER };
    it.each([
      [{ initial: -1 }, /initial must be a finite number within \[1, /],
      [{ min: 10, max: 5 }, /max must be a finite number >= 10, found 5/],
      [{ headroom: -0.1 }, /headroom must be a finite number >= 0/],
      [{ target: 1 }, /target must be within \(0, 1\), found 1/],
      [{ settleMs: 0 }, /settleMs must be a finite number within \(0, /],
      [{ probeEveryMs: -5 }, /probeEveryMs must be a finite number within \(0, /],
      [{ probeGain: 1 }, /probeGain must be a finite number > 1, found 1/],
      [{ backoff: 1 }, /backoff must be within \(0, 1\), found 1/],
    ])('refuses %j with a RangeError', (options, message) => {
      expect(() => matchDrainRate(source, options)).toThrow(RangeError);
      expect(() => matchDrainRate(source, options)).toThrow(message);
    });

    it('refuses a source without the streams it follows', () => {
      expect(() => matchDrainRate(null as never)).toThrow(TypeError);
      expect(() => matchDrainRate({ level$: NEVER } as never)).toThrow(
        /source\.drainRate\$ must be an Observable/,
      );
      expect(() => matchDrainRate({ ...source, depth$: NEVER })).toThrow(/source\.capacity must be a number/);
    });
  });
});
