import { TestScheduler } from 'rxjs/testing';
import { NEVER, Subject, asyncScheduler, merge, of } from 'rxjs';
import { pace } from '../../lib/pacing/pace.js';
import { RateController } from '../../lib/pacing/rate-controller.js';
import { aimdRate } from '../../lib/pacing/aimd-rate.js';
import { BufferOverflowError } from '../../lib/errors/buffer-overflow-error.js';
import type { BackpressureLevel } from '../../lib/levels/backpressure-level.js';
import { LEVEL_VALUES as L } from '../../lib/testing/level-values.js';

describe('pace', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  describe('with a rate$ stream', () => {
    it('spaces values evenly at the rate, after the first one (the bucket starts full)', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const source = hot('  -(abcd)----------|');
        const rate = cold('   r', { r: 500 }); // 2 ms a value
        const expected = '    -a-b-c-d---------|';
        expectObservable(source.pipe(pace(rate, {}, testScheduler))).toBe(expected);
      });
    });

    it('lets a burst through back to back, then paces the rest', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const source = hot('  -(abcde)--------|');
        const rate = cold('   r', { r: 200 }); // 5 ms a value
        const expected = '    -(abc)d----e----|';
        expectObservable(source.pipe(pace(rate, { burst: 3 }, testScheduler))).toBe(expected);
      });
    });

    it('holds values until rate$ first emits', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const source = hot('  -a|');
        const rate = cold('   ---r', { r: 1000 });
        expectObservable(source.pipe(pace(rate, {}, testScheduler))).toBe('---(a|)');
      });
    });

    it('holds values while the rate is 0 and resumes when it rises', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const source = hot('  -(abc)-------|');
        const rate = cold('   r---z-----r', { r: 500, z: 0 });
        const expected = '    -a-b-------c-|';
        expectObservable(source.pipe(pace(rate, {}, testScheduler))).toBe(expected);
      });
    });

    it('keeps the last rate when rate$ completes', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -(ab)---|');
        const rate = cold('   r|', { r: 250 });
        expectObservable(source.pipe(pace(rate, {}, testScheduler))).toBe('-a---b--|');
        expectSubscriptions(rate.subscriptions).toBe('^!');
      });
    });

    it('errors at once when the source errors, and unsubscribes from rate$', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -(ab)#');
        const rate = cold('   r', { r: 100 });
        expectObservable(source.pipe(pace(rate, {}, testScheduler))).toBe('-a---#');
        expectSubscriptions(rate.subscriptions).toBe('^----!');
      });
    });

    it('errors when rate$ errors, and unsubscribes from the source', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-b-c-|');
        const rate = cold('   r-#', { r: 1000 });
        expectObservable(source.pipe(pace(rate, {}, testScheduler))).toBe('-a#');
        expectSubscriptions(source.subscriptions).toBe('^-!');
      });
    });

    it('errors with a RangeError when rate$ emits a rate that is not a finite number >= 0', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const source = hot('-a-b-|');
        const rate = cold('r-x', { r: 1000, x: -5 });
        expectObservable(source.pipe(pace(rate, {}, testScheduler))).toBe(
          '-a#',
          undefined,
          new RangeError('rate$ must emit finite numbers >= 0, found number -5'),
        );
      });
    });

    it('unsubscribes from both inputs and cancels the pending timer', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -(ab)-----');
        const rate = cold('   r', { r: 100 }); // b due at 11
        expectObservable(source.pipe(pace(rate, {}, testScheduler)), '^----!').toBe('-a');
        expectSubscriptions(source.subscriptions).toBe('^----!');
        expectSubscriptions(rate.subscriptions).toBe('^----!');
        testScheduler.flush();
        expect(testScheduler.frame).toBe(5);
      });
    });

    it('paces a synchronous source', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const rate = cold('r', { r: 1000 });
        expectObservable(of(1, 2, 3).pipe(pace(rate, {}, testScheduler))).toBe('ab(c|)', {
          a: 1,
          b: 2,
          c: 3,
        });
      });
    });

    it("errors with BufferOverflowError when the buffer is full under 'error'", () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const source = hot('  -abcd-|');
        const rate = cold('   r', { r: 10 });
        expectObservable(source.pipe(pace(rate, { maxBuffered: 2 }, testScheduler))).toBe(
          '-a--#',
          undefined,
          new BufferOverflowError(2, 3, 'pace'),
        );
      });
    });

    it("drops and reports under 'drop-newest'", () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const dropped: string[] = [];
        const source = hot('  -abc---|');
        const rate = cold('   r', { r: 250 });
        const result = source.pipe(
          pace(
            rate,
            { maxBuffered: 1, overflow: 'drop-newest', onDrop: ({ item }) => dropped.push(item) },
            testScheduler,
          ),
        );
        expectObservable(result).toBe('-a---b-|');
        testScheduler.flush();
        expect(dropped).toEqual(['c']);
      });
    });
  });

  describe('very small rates', () => {
    // setTimeout and setInterval take at most 2^31 - 1 ms; Node and browsers fire a longer delay
    // after 1 ms, which would re-arm the release every millisecond.
    const MAX_DELAY_MS = 2_147_483_647;

    it('never asks the scheduler for a delay longer than 2^31 - 1 ms, and releases on time', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const schedule = jest.spyOn(testScheduler, 'schedule');
        const rate = cold('r', { r: 1e-7 }); // one value per 1e10 ms
        expectObservable(of('a', 'b').pipe(pace(rate, {}, testScheduler))).toBe('a 9999999999ms (b|)');
        testScheduler.flush();
        const delays = schedule.mock.calls.map(([, delay]) => delay ?? 0);
        expect(Math.max(...delays)).toBeLessThanOrEqual(MAX_DELAY_MS);
        // 1e10 ms is waited in 5 timers: 4 of the maximum and the rest, not in one per ms.
        expect(delays.filter((delay) => delay > 0)).toHaveLength(5);
      });
    });

    it('sets one real timer for a rate whose wait exceeds the timer limit, instead of one a millisecond', async () => {
      const schedule = jest.spyOn(asyncScheduler, 'schedule');
      try {
        const seen: number[] = [];
        const subscription = of(1, 2)
          .pipe(pace(of(1e-7)))
          .subscribe((v) => seen.push(v));
        await new Promise((resolve) => setTimeout(resolve, 100));
        subscription.unsubscribe();
        expect(seen).toEqual([1]);
        expect(schedule.mock.calls.length).toBeLessThanOrEqual(2);
        expect(schedule.mock.calls.every(([, delay]) => (delay ?? 0) <= MAX_DELAY_MS)).toBe(true);
      } finally {
        schedule.mockRestore();
      }
    });

    it('keeps timers within the limit when aimdRate with min 0 cuts the rate towards 0', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const schedule = jest.spyOn(testScheduler, 'schedule');
        const level = cold('h', L); // halves every 10 ms: 100 * 0.5^100 values a second after 1 s
        const rate$ = aimdRate(level, { initial: 100, min: 0, intervalMs: 10 }, testScheduler);
        const source = hot('  -(abc)');
        expectObservable(source.pipe(pace(rate$, {}, testScheduler)), '^ 999ms !').toBe('-a');
        testScheduler.flush();
        const delays = schedule.mock.calls.map(([, delay]) => delay ?? 0);
        expect(Math.max(...delays)).toBeLessThanOrEqual(MAX_DELAY_MS);
      });
    });

    it('waits the limit and checks again when a RateController rate is tiny', () => {
      testScheduler.run(({ expectObservable }) => {
        const controller = new RateController({ rate: 1e-7, scheduler: testScheduler });
        const schedule = jest.spyOn(testScheduler, 'schedule');
        expectObservable(of('a', 'b').pipe(pace(controller))).toBe('a 9999999999ms (b|)');
        testScheduler.flush();
        const delays = schedule.mock.calls.map(([, delay]) => delay ?? 0);
        expect(Math.max(...delays)).toBeLessThanOrEqual(MAX_DELAY_MS);
        expect(controller.msUntilAvailable()).toBeLessThanOrEqual(MAX_DELAY_MS);
      });
    });
  });

  describe('with a RateController', () => {
    it('follows the level: the rate halves at soft (default scale)', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const controller = new RateController({ rate: 500, scheduler: testScheduler });
        controller.follow(cold('----s', L));
        const source = hot('  -(abcd)---------|');
        const expected = '    -a-b--c---d-----|';
        expectObservable(source.pipe(pace(controller))).toBe(expected);
      });
    });

    it('slows to the floor of 1 value a second at hard (default scale 0, minRate 1)', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const controller = new RateController({ rate: 1000, scheduler: testScheduler });
        controller.setLevel('hard');
        const source = hot('-(abc)|');
        expectObservable(source.pipe(pace(controller))).toBe('-a 999ms b 999ms (c|)');
      });
    });

    it('stops at hard with minRate 0, and resumes when the level falls', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const controller = new RateController({ rate: 1000, minRate: 0, scheduler: testScheduler });
        controller.follow(cold('h------o', L));
        const source = hot('-(ab)|');
        expectObservable(source.pipe(pace(controller))).toBe('-a------(b|)'); // the full bucket's token goes first
      });
    });

    it('shares one budget between every stream it paces', () => {
      testScheduler.run(({ hot }) => {
        const controller = new RateController({ rate: 1000, scheduler: testScheduler });
        const times: number[] = [];
        merge(hot('-(abc)').pipe(pace(controller)), hot('-(xyz)').pipe(pace(controller))).subscribe(() =>
          times.push(testScheduler.now()),
        );
        testScheduler.flush();
        expect(times).toEqual([1, 2, 3, 4, 5, 6]);
      });
    });

    it('keeps the last level when a followed stream completes', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const controller = new RateController({ rate: 500, scheduler: testScheduler });
        const level = cold('s|', L);
        controller.follow(level);
        const source = hot('  -(abc)-------|');
        expectObservable(source.pipe(pace(controller))).toBe('-a---b---c---|');
        expectSubscriptions(level.subscriptions).toBe('^!');
      });
    });

    it('errors every paced stream when a followed stream errors', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const controller = new RateController({ rate: 100, scheduler: testScheduler });
        const failure = new Error('feedback lost');
        controller.follow(cold('---#', L, failure));
        const source = hot('-(ab)----|');
        expectObservable(source.pipe(pace(controller))).toBe('-a-#', undefined, failure);
        expectObservable(controller.rate$).toBe('r--#', { r: 100 }, failure);
        expectSubscriptions(source.subscriptions).toBe('^--!');
      });
    });

    it('errors when a followed stream emits something that is neither a level nor an event', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const controller = new RateController({ rate: 100, scheduler: testScheduler });
        controller.follow(cold('--x', { x: 'HIGH' as BackpressureLevel }));
        expectObservable(NEVER.pipe(pace(controller))).toBe(
          '--#',
          undefined,
          new TypeError(`feedback$ must emit 'ok', 'soft' or 'hard', found string "HIGH"`),
        );
      });
    });
  });

  describe('options', () => {
    it('rejects bad options at call time, naming them', () => {
      expect(() => pace(NEVER, { burst: 0 })).toThrow(
        new RangeError('burst must be a finite number >= 1, found 0'),
      );
      expect(() => pace(NEVER, { maxBuffered: 0 })).toThrow(/maxBuffered/);
      expect(() => pace(NEVER, { overflow: 'block' as 'error' })).toThrow(/overflow/);
      expect(() => pace(NEVER, { overflow: 'drop-newest' })).toThrow(
        /onDrop must be a function when overflow is 'drop-newest'/,
      );
      expect(() => pace(new RateController({ rate: 10 }), { overflow: 'drop-oldest' })).toThrow(TypeError);
      expect(() => pace(100 as unknown as typeof NEVER)).toThrow(
        new TypeError('rate must be an Observable, found number 100'),
      );
    });
  });
});

describe('RateController', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('scales the rate by level: ok 1.0, soft 0.5, hard 0.0 with a floor of 1/s', () => {
    const controller = new RateController({ rate: 200 });
    expect([controller.rate, controller.level, controller.baseRate, controller.burst]).toEqual([
      200,
      'ok',
      200,
      1,
    ]);
    controller.setLevel('soft');
    expect(controller.rate).toBe(100);
    controller.setLevel('hard');
    expect(controller.rate).toBe(1);
    controller.setLevel('ok');
    expect(controller.rate).toBe(200);
  });

  it('takes a custom scale and floor, and never floors above the base rate', () => {
    const controller = new RateController({ rate: 100, scale: { soft: 0.25, hard: 0.1 }, minRate: 20 });
    controller.setLevel('soft');
    expect(controller.rate).toBe(25);
    controller.setLevel('hard');
    expect(controller.rate).toBe(20);
    const slow = new RateController({ rate: 0.5 });
    slow.setLevel('hard');
    expect(slow.rate).toBe(0.5);
  });

  it('follows setRate (e.g. from aimdRate) within the level scale', () => {
    const controller = new RateController({ rate: 100 });
    controller.setLevel('soft');
    controller.setRate(400);
    expect([controller.baseRate, controller.rate]).toEqual([400, 200]);
  });

  it('emits the effective rate on rate$: current on subscribe, then each change', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const controller = new RateController({ rate: 100, scheduler: testScheduler });
      controller.follow(cold('-s-s-h-o', L));
      expectObservable(controller.rate$, '^-------!').toBe('as---h-o', { a: 100, s: 50, h: 1, o: 100 });
    });
  });

  it('follows feedback events: the worst latest level across coordinators', () => {
    const controller = new RateController({ rate: 100 });
    const feedback = new Subject<{ coordinatorId: string; level: BackpressureLevel }>();
    const subscription = controller.follow(feedback as never);
    feedback.next({ coordinatorId: 'a', level: 'soft' });
    expect(controller.level).toBe('soft');
    feedback.next({ coordinatorId: 'b', level: 'hard' });
    expect(controller.level).toBe('hard');
    feedback.next({ coordinatorId: 'b', level: 'ok' });
    expect(controller.level).toBe('soft');
    subscription.unsubscribe();
    feedback.next({ coordinatorId: 'a', level: 'ok' });
    expect(controller.level).toBe('soft');
  });

  it('answers tryAcquire and msUntilAvailable from the bucket, on its scheduler clock', () => {
    testScheduler.run(() => {
      const controller = new RateController({ rate: 10, burst: 2, scheduler: testScheduler });
      expect(controller.tokens).toBe(2);
      expect(controller.tryAcquire()).toBe(true);
      expect(controller.tryAcquire()).toBe(true);
      expect(controller.tryAcquire()).toBe(false);
      expect(controller.msUntilAvailable()).toBe(100);
      testScheduler.schedule(() => {
        expect(controller.msUntilAvailable()).toBe(40);
        expect(controller.tryAcquire()).toBe(false);
      }, 60);
      testScheduler.schedule(() => expect(controller.tryAcquire()).toBe(true), 100);
    });
  });

  it('never reports a finite wait longer than a timer can take (2^31 - 1 ms)', () => {
    testScheduler.run(() => {
      const controller = new RateController({ rate: 1e-7, scheduler: testScheduler });
      expect(controller.tryAcquire()).toBe(true);
      expect(controller.msUntilAvailable()).toBe(2_147_483_647); // the true wait is 1e10 ms
      controller.setRate(1);
      expect(controller.msUntilAvailable()).toBe(1000);
    });
  });

  it('reports an infinite wait when the rate is 0', () => {
    const controller = new RateController({ rate: 10, minRate: 0 });
    controller.setLevel('hard');
    controller.tryAcquire();
    expect(controller.msUntilAvailable()).toBe(Number.POSITIVE_INFINITY);
  });

  it('rejects bad options, naming them', () => {
    expect(() => new RateController(undefined as never)).toThrow(TypeError);
    expect(() => new RateController({ rate: 0 })).toThrow(
      new RangeError('rate must be a finite number > 0, found 0'),
    );
    expect(() => new RateController({ rate: 10, burst: 0.5 })).toThrow(/burst/);
    expect(() => new RateController({ rate: 10, scale: { soft: -1 } })).toThrow(/scale\.soft/);
    expect(() => new RateController({ rate: 10, minRate: -1 })).toThrow(/minRate/);
    const controller = new RateController({ rate: 10 });
    expect(() => controller.setLevel('red' as BackpressureLevel)).toThrow(TypeError);
    expect(() => controller.setRate(Number.NaN)).toThrow(RangeError);
    expect(() => controller.follow('ok' as never)).toThrow(/levels\$ must be an Observable/);
  });
});
