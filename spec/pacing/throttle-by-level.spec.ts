import { TestScheduler } from 'rxjs/testing';
import { BehaviorSubject, NEVER, Subject, VirtualTimeScheduler, of } from 'rxjs';
import fc from 'fast-check';
import { throttleByLevel } from '../../lib/pacing/throttle-by-level.js';
import { BufferOverflowError } from '../../lib/errors/buffer-overflow-error.js';
import type { BackpressureLevel } from '../../lib/levels/backpressure-level.js';
import { LEVEL_VALUES as L } from '../../lib/testing/level-values.js';

describe('throttleByLevel', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('lets values through with no gap while the level is ok (the default before level$ emits)', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const source = hot('-a-bc-|');
      const level = cold('-------', L);
      expectObservable(source.pipe(throttleByLevel(level, {}, testScheduler))).toBe('-a-bc-|');
    });
  });

  it('spaces values by the soft gap while the level is soft, and completes after the last one', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -abc---|');
      const level = cold('  s', L);
      const expected = '    -a--b--(c|)';
      expectObservable(source.pipe(throttleByLevel(level, { soft: 3 }, testScheduler))).toBe(expected);
      expectSubscriptions(level.subscriptions).toBe('^------!');
    });
  });

  it('uses a default soft gap of 10 ms', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const source = hot('  -ab|');
      const level = cold('  s', L);
      expectObservable(source.pipe(throttleByLevel(level, {}, testScheduler))).toBe('-a 9ms (b|)');
    });
  });

  it('re-times a waiting value when the level changes (soft to ok releases it at once)', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const source = hot('  -ab------|');
      const level = cold('  s----o', L);
      expectObservable(source.pipe(throttleByLevel(level, { soft: 10 }, testScheduler))).toBe('-a---b---|');
    });
  });

  it('re-times a waiting value when the level changes (ok to soft makes it wait longer)', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const source = hot('  -a-b----------|');
      const level = cold('  --s', L);
      const expected = '    -a-----b------|';
      expectObservable(source.pipe(throttleByLevel(level, { ok: 1, soft: 6 }, testScheduler))).toBe(expected);
    });
  });

  it("holds values while hard is 'pause' (the default) and releases them when the level falls", () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const source = hot('  -ab--c-d-------|');
      const level = cold('  s---h-----o', L);
      const expected = '    -a-b------(cd)-|';
      expectObservable(source.pipe(throttleByLevel(level, { soft: 2 }, testScheduler))).toBe(expected);
    });
  });

  it('releases held values with the gap of the level it falls to', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const source = hot('  -abc----------|');
      const level = cold('  h----s', L);
      const expected = '    -----a-b-c----|';
      expectObservable(source.pipe(throttleByLevel(level, { soft: 2 }, testScheduler))).toBe(expected);
    });
  });

  it('uses a numeric hard gap', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const source = hot('  -abc|');
      const level = cold('  h', L);
      const expected = '    -a----b----(c|)';
      expectObservable(source.pipe(throttleByLevel(level, { hard: 5 }, testScheduler))).toBe(expected);
    });
  });

  describe('completion', () => {
    it('waits for the buffer when the source completes while paused', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -ab|');
        const level = cold('  h------o', L);
        expectObservable(source.pipe(throttleByLevel(level, {}, testScheduler))).toBe('-------(ab|)');
        expectSubscriptions(source.subscriptions).toBe('^--!');
        expectSubscriptions(level.subscriptions).toBe('^------!');
      });
    });

    it('keeps the last level when level$ completes', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -ab--|');
        const level = cold('  h|', L);
        expectObservable(source.pipe(throttleByLevel(level, {}, testScheduler))).toBe('------');
        expectSubscriptions(level.subscriptions).toBe('^!');
      });
    });
  });

  describe('errors', () => {
    it('errors at once when the source errors, even with values waiting', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -abc#');
        const level = cold('  s', L);
        expectObservable(source.pipe(throttleByLevel(level, { soft: 10 }, testScheduler))).toBe('-a--#');
        expectSubscriptions(level.subscriptions).toBe('^---!');
      });
    });

    it('errors when level$ errors, and unsubscribes from the source', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-b-c-|');
        const level = cold('  --#', L);
        expectObservable(source.pipe(throttleByLevel(level, {}, testScheduler))).toBe('-a#');
        expectSubscriptions(source.subscriptions).toBe('^-!');
      });
    });

    it('errors with a TypeError when level$ emits something that is not a level', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const source = hot('-a-b-|');
        const level = cold('--x', { x: 'HARD' as BackpressureLevel });
        expectObservable(source.pipe(throttleByLevel(level, {}, testScheduler))).toBe(
          '-a#',
          undefined,
          new TypeError(`level$ must emit 'ok', 'soft' or 'hard', found string "HARD"`),
        );
      });
    });
  });

  describe('unsubscription and teardown', () => {
    it('unsubscribes from both inputs and cancels the pending timer', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -ab-------');
        const level = cold('  s', L);
        expectObservable(source.pipe(throttleByLevel(level, { soft: 10 }, testScheduler)), '^----!').toBe(
          '-a',
        );
        expectSubscriptions(source.subscriptions).toBe('^----!');
        expectSubscriptions(level.subscriptions).toBe('^----!');
        testScheduler.flush();
        // The timer for 'b' was due at frame 11; had it survived, the clock would have run to it.
        expect(testScheduler.frame).toBe(5);
      });
    });
  });

  describe('synchronous and re-entrant sources', () => {
    it('holds a synchronous source from its first value when level$ is synchronously hard', () => {
      const level = new BehaviorSubject<BackpressureLevel>('hard');
      const seen: number[] = [];
      let completed = false;
      const scheduler = new VirtualTimeScheduler();
      of(1, 2, 3)
        .pipe(throttleByLevel(level, {}, scheduler))
        .subscribe({ next: (v) => seen.push(v), complete: () => (completed = true) });
      expect(seen).toEqual([]);
      level.next('ok');
      expect(seen).toEqual([]); // not inside level$'s next call
      scheduler.flush();
      expect(seen).toEqual([1, 2, 3]);
      expect(completed).toBe(true);
    });

    it('applies a level change made by the observer before the next value goes', () => {
      const level = new BehaviorSubject<BackpressureLevel>('hard');
      const source = new Subject<number>();
      const seen: number[] = [];
      const scheduler = new VirtualTimeScheduler();
      source.pipe(throttleByLevel(level, {}, scheduler)).subscribe((v) => {
        seen.push(v);
        if (v === 2) level.next('hard'); // a submit crossing the hard watermark
      });
      [1, 2, 3, 4].forEach((v) => source.next(v));
      level.next('ok');
      scheduler.flush();
      expect(seen).toEqual([1, 2]);
      source.next(5);
      expect(seen).toEqual([1, 2]);
      level.next('ok');
      scheduler.flush();
      expect(seen).toEqual([1, 2, 3, 4, 5]);
    });
  });

  describe('overflow', () => {
    it("errors with BufferOverflowError under 'error' (the default)", () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const source = hot('  -abc-|');
        const level = cold('  h', L);
        expectObservable(source.pipe(throttleByLevel(level, { maxBuffered: 2 }, testScheduler))).toBe(
          '---#',
          undefined,
          new BufferOverflowError(2, 3, 'throttleByLevel'),
        );
      });
    });

    it("drops the oldest under 'drop-oldest' and reports it", () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const dropped: string[] = [];
        const source = hot('  -abc------|');
        const level = cold('  s', L);
        const result = source.pipe(
          throttleByLevel(
            level,
            { soft: 4, maxBuffered: 1, overflow: 'drop-oldest', onDrop: ({ item }) => dropped.push(item) },
            testScheduler,
          ),
        );
        expectObservable(result).toBe('-a---c----|');
        testScheduler.flush();
        expect(dropped).toEqual(['b']);
      });
    });

    it("drops the newest under 'drop-newest' and reports it", () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const dropped: string[] = [];
        const source = hot('  -abc------|');
        const level = cold('  s', L);
        const result = source.pipe(
          throttleByLevel(
            level,
            { soft: 4, maxBuffered: 1, overflow: 'drop-newest', onDrop: ({ item }) => dropped.push(item) },
            testScheduler,
          ),
        );
        expectObservable(result).toBe('-a---b----|');
        testScheduler.flush();
        expect(dropped).toEqual(['c']);
      });
    });
  });

  describe('options', () => {
    it('rejects bad options at call time, naming them', () => {
      expect(() => throttleByLevel(NEVER, { soft: -1 })).toThrow(
        new RangeError(`soft must be a finite number within [0, 2147483647] or 'pause', found -1`),
      );
      // A longer delay would make a timer fire after 1 ms.
      expect(() => throttleByLevel(NEVER, { soft: 2_147_483_648 })).toThrow(
        new RangeError(`soft must be a finite number within [0, 2147483647] or 'pause', found 2147483648`),
      );
      expect(() => throttleByLevel(NEVER, { hard: 2_147_483_647 })).not.toThrow();
      expect(() => throttleByLevel(NEVER, { ok: Number.POSITIVE_INFINITY })).toThrow(RangeError);
      expect(() => throttleByLevel(NEVER, { hard: 'stop' as 'pause' })).toThrow(
        new TypeError(`hard must be a number or 'pause', found string "stop"`),
      );
      expect(() => throttleByLevel(NEVER, { maxBuffered: -5 })).toThrow(/maxBuffered/);
      expect(() => throttleByLevel(NEVER, { overflow: 'reject' as 'error' })).toThrow(/overflow/);
      expect(() => throttleByLevel(NEVER, { overflow: 'drop-oldest' })).toThrow(
        new TypeError(
          "onDrop must be a function when overflow is 'drop-oldest' (every dropped value is reported to it), found undefined",
        ),
      );
      expect(() => throttleByLevel('hard' as unknown as typeof NEVER)).toThrow(
        new TypeError('level$ must be an Observable, found string "hard"'),
      );
    });
  });

  describe('properties', () => {
    const event = fc.oneof(
      fc.record({ at: fc.integer({ min: 0, max: 200 }), kind: fc.constant('value' as const) }),
      fc.record({
        at: fc.integer({ min: 0, max: 200 }),
        kind: fc.constant('level' as const),
        level: fc.constantFrom<BackpressureLevel>('ok', 'soft', 'hard'),
      }),
    );

    it('emits exactly the source values, in order, at least the smallest gap apart, for any level pattern', () => {
      fc.assert(
        fc.property(fc.array(event, { maxLength: 80 }), (events) => {
          const scheduler = new VirtualTimeScheduler();
          const source = new Subject<number>();
          const level = new Subject<BackpressureLevel>();
          const valueCount = events.filter((e) => e.kind === 'value').length;
          const seen: { value: number; at: number }[] = [];
          let completed = false;
          let failed: unknown;
          source
            .pipe(
              throttleByLevel(
                level,
                { ok: 2, soft: 5, hard: 'pause', maxBuffered: Math.max(1, valueCount) },
                scheduler,
              ),
            )
            .subscribe({
              next: (value) => seen.push({ value, at: scheduler.now() }),
              error: (e: unknown) => (failed = e),
              complete: () => (completed = true),
            });
          let next = 0;
          // Scheduled in array order at each time, so values keep their numbering order.
          const sorted = [...events].sort((a, b) => a.at - b.at);
          for (const e of sorted) {
            if (e.kind === 'value') {
              const value = next++;
              scheduler.schedule(() => source.next(value), e.at);
            } else {
              scheduler.schedule(() => level.next(e.level), e.at);
            }
          }
          scheduler.schedule(() => {
            source.complete();
            level.next('ok');
          }, 201);
          scheduler.flush();
          expect(failed).toBeUndefined();
          expect(completed).toBe(true);
          expect(seen.map((s) => s.value)).toEqual(Array.from({ length: valueCount }, (_, i) => i));
          for (let i = 1; i < seen.length; i++)
            expect(seen[i]!.at - seen[i - 1]!.at).toBeGreaterThanOrEqual(2);
        }),
        { numRuns: 200 },
      );
    });
  });
});
