import { TestScheduler } from 'rxjs/testing';
import { Subject, of } from 'rxjs';
import fc from 'fast-check';
import { toBackpressureLevel } from '../../lib/levels/to-backpressure-level.js';
import { DEFAULT_WATERMARKS, type ResolvedWatermarks } from '../../lib/levels/watermarks.js';
import type { BackpressureLevel } from '../../lib/levels/backpressure-level.js';
import { LEVEL_VALUES } from '../../lib/testing/level-values.js';

const D = { a: 0, b: 4, c: 5, d: 7, e: 8, f: 9, g: 6, h: 3, i: 10 };

describe('toBackpressureLevel', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('maps the design example (capacity 10, defaults) to ok . soft . hard . . soft . ok soft', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      // depths:    0 4 5 7 8 9 7 6 4 3 5
      const depth$ = cold('abcdefdgbhc|', D);
      const expected = '   o-s-h--s-os|';
      expectObservable(depth$.pipe(toBackpressureLevel(10))).toBe(expected.trim(), LEVEL_VALUES);
    });
  });

  it('emits the level of the first depth, whatever it is', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('e|', D).pipe(toBackpressureLevel(10))).toBe('h|', LEVEL_VALUES);
      expectObservable(cold('c|', D).pipe(toBackpressureLevel(10))).toBe('s|', LEVEL_VALUES);
      expectObservable(cold('a|', D).pipe(toBackpressureLevel(10))).toBe('o|', LEVEL_VALUES);
    });
  });

  describe('rising', () => {
    it('goes from ok straight to hard when a depth jumps past the hard watermark', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        expectObservable(cold('a-f-i|', D).pipe(toBackpressureLevel(10))).toBe('o-h--|', LEVEL_VALUES);
      });
    });

    it('treats the watermarks as inclusive on the way up', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        // 5 is exactly soft (0.5), 8 exactly hard (0.8)
        expectObservable(cold('b-c-d-e|', D).pipe(toBackpressureLevel(10))).toBe('o-s---h|', LEVEL_VALUES);
      });
    });
  });

  describe('falling (hysteresis)', () => {
    it('holds hard until utilization is below hardExit', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        // 8 hard, 7 (= hardExit 0.7) still hard, 6 soft
        expectObservable(cold('e-d-g|', D).pipe(toBackpressureLevel(10))).toBe('h---s|', LEVEL_VALUES);
      });
    });

    it('goes from hard straight to ok when the depth falls below softExit too', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        expectObservable(cold('e-h|', D).pipe(toBackpressureLevel(10))).toBe('h-o|', LEVEL_VALUES);
      });
    });

    it('holds soft until utilization is below softExit', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        // 5 soft, 4 (= softExit 0.4) still soft, 3 ok
        expectObservable(cold('c-b-h|', D).pipe(toBackpressureLevel(10))).toBe('s---o|', LEVEL_VALUES);
      });
    });

    it('does not flap when the depth hovers around a watermark', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        // 8 7 8 7 8: hard throughout
        expectObservable(cold('ededede|', D).pipe(toBackpressureLevel(10))).toBe('h------|', LEVEL_VALUES);
      });
    });
  });

  it('uses custom watermarks', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const level$ = cold('a-c-e-f|', D).pipe(
        toBackpressureLevel(10, { soft: 0.8, hard: 0.9, softExit: 0.5 }),
      );
      expectObservable(level$).toBe('o---s-h|', LEVEL_VALUES);
    });
  });

  it('passes completion through', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('a--|', D).pipe(toBackpressureLevel(10))).toBe('o--|', LEVEL_VALUES);
    });
  });

  it('passes a source error through', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('a-#', D, new Error('boom')).pipe(toBackpressureLevel(10))).toBe(
        'o-#',
        LEVEL_VALUES,
        new Error('boom'),
      );
    });
  });

  it('errors with a RangeError on a depth that is not a finite number >= 0', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const level$ = cold('a-x', { a: 0, x: -1 }).pipe(toBackpressureLevel(10));
      expectObservable(level$).toBe(
        'o-#',
        LEVEL_VALUES,
        new RangeError('depth must be a finite number >= 0, found -1'),
      );
    });
  });

  it('unsubscribes from the source when the subscriber leaves', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const depth$ = cold('a-c-e-a|', D);
      expectObservable(depth$.pipe(toBackpressureLevel(10)), '^--!').toBe('o-s', LEVEL_VALUES);
      expectSubscriptions(depth$.subscriptions).toBe('^--!');
    });
  });

  it('keeps no state across subscriptions', () => {
    const depth$ = new Subject<number>();
    const level$ = depth$.pipe(toBackpressureLevel(10));
    const first: BackpressureLevel[] = [];
    const second: BackpressureLevel[] = [];
    level$.subscribe((l) => first.push(l));
    depth$.next(9);
    level$.subscribe((l) => second.push(l));
    depth$.next(9);
    expect(first).toEqual(['hard']);
    expect(second).toEqual(['hard']);
  });

  it('works on a synchronous source', () => {
    const levels: BackpressureLevel[] = [];
    of(0, 4, 5, 7, 8, 9, 7, 6, 4, 3, 5)
      .pipe(toBackpressureLevel(10))
      .subscribe((l) => levels.push(l));
    expect(levels).toEqual(['ok', 'soft', 'hard', 'soft', 'ok', 'soft']);
  });

  describe('validation', () => {
    it.each([
      [0, 'capacity must be a finite number > 0, found 0'],
      [-5, 'capacity must be a finite number > 0, found -5'],
      [Infinity, 'capacity must be a finite number > 0, found Infinity'],
      [NaN, 'capacity must be a finite number > 0, found NaN'],
    ])('rejects capacity %p', (capacity, message) => {
      expect(() => toBackpressureLevel(capacity)).toThrow(new RangeError(message));
    });

    it('rejects a capacity that is not a number with a TypeError', () => {
      expect(() => toBackpressureLevel('10' as unknown as number)).toThrow(
        new TypeError('capacity must be a number, found string "10"'),
      );
    });

    it.each([
      [{ soft: NaN }, 'watermarks.soft must be a finite number within [0, 1], found NaN'],
      [{ hard: 1.5 }, 'watermarks.hard must be a finite number within [0, 1], found 1.5'],
      [{ softExit: -0.1 }, 'watermarks.softExit must be a finite number within [0, 1], found -0.1'],
      [{ hardExit: Infinity }, 'watermarks.hardExit must be a finite number within [0, 1], found Infinity'],
      [{ soft: 0.8 }, 'watermarks.soft must be below watermarks.hard (0.8), found 0.8'],
      [{ softExit: 0.6 }, 'watermarks.softExit must be at most watermarks.soft (0.5), found 0.6'],
      [{ hardExit: 0.9 }, 'watermarks.hardExit must be at most watermarks.hard (0.8), found 0.9'],
      [{ hardExit: 0.3 }, 'watermarks.hardExit must be at least watermarks.softExit (0.4), found 0.3'],
      [{ soft: '0.5' }, 'watermarks.soft must be a finite number within [0, 1], found 0.5'],
    ])('rejects watermarks %p, naming the field', (watermarks, message) => {
      expect(() => toBackpressureLevel(10, watermarks as never)).toThrow(new RangeError(message));
    });

    it('accepts the boundary watermarks 0 and 1', () => {
      expect(() => toBackpressureLevel(10, { soft: 0, softExit: 0, hardExit: 0, hard: 1 })).not.toThrow();
    });
  });

  describe('against a reference state machine (property)', () => {
    // Written independently of the implementation, straight from the documented rules of the levels.
    function reference(depths: number[], capacity: number, w: ResolvedWatermarks): BackpressureLevel[] {
      const out: BackpressureLevel[] = [];
      let level: BackpressureLevel = 'ok';
      depths.forEach((depth, index) => {
        const u = depth / capacity;
        let next: BackpressureLevel = level;
        if (u >= w.hard) next = 'hard';
        else if (level === 'ok' && u >= w.soft) next = 'soft';
        else if (level === 'hard' && u < w.hardExit) next = u < w.softExit ? 'ok' : 'soft';
        else if (level === 'soft' && u < w.softExit) next = 'ok';
        if (index === 0 || next !== level) out.push(next);
        level = next;
      });
      return out;
    }

    const watermarks = fc
      .tuple(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
      )
      .map(([a, b, c, d]) => {
        const [softExit, soft, hardExit, hard] = [a, b, c, d].sort((x, y) => x - y) as [
          number,
          number,
          number,
          number,
        ];
        // sorted gives softExit <= soft <= hardExit <= hard; the rules need soft < hard.
        return { softExit, soft, hardExit, hard };
      })
      .filter((w) => w.soft < w.hard);

    it('agrees on random depth sequences and random valid watermarks', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 200 }),
          watermarks,
          fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 60 }),
          (capacity, w, fractions) => {
            const depths = fractions.map((f) => Math.round(f * capacity));
            const actual: BackpressureLevel[] = [];
            of(...depths)
              .pipe(toBackpressureLevel(capacity, w))
              .subscribe((l) => actual.push(l));
            expect(actual).toEqual(reference(depths, capacity, { ...DEFAULT_WATERMARKS, ...w }));
          },
        ),
        { numRuns: 500 },
      );
    });
  });
  describe('minDwellMs', () => {
    it('holds a level at least minDwellMs before falling, and re-evaluates when the dwell ends', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        // depths 8 (hard) at 0, 3 at 2: the fall to ok waits until 5 ms after hard was entered
        const depth$ = cold('e-h------|', D);
        const expected = '   h----o---|';
        expectObservable(depth$.pipe(toBackpressureLevel(10, { minDwellMs: 5 }, testScheduler))).toBe(
          expected,
          LEVEL_VALUES,
        );
      });
    });

    it('falls at once when the level was entered longer ago than minDwellMs', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const depth$ = cold('e------h-|', D);
        const expected = '   h------o-|';
        expectObservable(depth$.pipe(toBackpressureLevel(10, { minDwellMs: 5 }, testScheduler))).toBe(
          expected,
          LEVEL_VALUES,
        );
      });
    });

    it('enters a worse level at once, and the dwell restarts there', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        // 5 soft at 0, 8 hard at 1 (at once), 3 at 2: ok only 5 ms after hard, at 6
        const depth$ = cold('ceh-------|', D);
        const expected = '   sh----o---|';
        expectObservable(depth$.pipe(toBackpressureLevel(10, { minDwellMs: 5 }, testScheduler))).toBe(
          expected,
          LEVEL_VALUES,
        );
      });
    });

    it('re-evaluates against the latest depth: a depth back in the band cancels the fall', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        // hard at 0; 3 at 1 (held), 9 at 3 (hard again, no change); nothing falls at 5
        const depth$ = cold('eh-f------|', D);
        const expected = '   h---------|';
        expectObservable(depth$.pipe(toBackpressureLevel(10, { minDwellMs: 5 }, testScheduler))).toBe(
          expected,
          LEVEL_VALUES,
        );
      });
    });

    it('applies the hysteresis of the latest depth after the dwell: hard to soft, not ok', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        // hard at 0; 6 at 1 (soft band); at 5 the level falls to soft only
        const depth$ = cold('eg-------|', D);
        const expected = '   h----s---|';
        expectObservable(depth$.pipe(toBackpressureLevel(10, { minDwellMs: 5 }, testScheduler))).toBe(
          expected,
          LEVEL_VALUES,
        );
      });
    });

    it('completes and errors at once, cancelling a pending re-evaluation', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const op = toBackpressureLevel(10, { minDwellMs: 5 }, testScheduler);
        expectObservable(cold('eh|', D).pipe(op)).toBe('h-|', LEVEL_VALUES);
        expectObservable(cold('eh#', D).pipe(op)).toBe('h-#', LEVEL_VALUES);
        expectObservable(cold('e-z', { e: 8, z: -1 }).pipe(op)).toBe(
          'h-#',
          LEVEL_VALUES,
          new RangeError('depth must be a finite number >= 0, found -1'),
        );
      });
    });

    it('cancels a pending re-evaluation on unsubscribe', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const depth$ = cold('eh-------', D);
        expectObservable(depth$.pipe(toBackpressureLevel(10, { minDwellMs: 5 }, testScheduler)), '^--!').toBe(
          'h--',
          LEVEL_VALUES,
        );
      });
      expect(testScheduler.actions).toHaveLength(0);
    });

    it('rejects a minDwellMs that is not a number of ms', () => {
      expect(() => toBackpressureLevel(10, { minDwellMs: -1 })).toThrow(RangeError);
      expect(() => toBackpressureLevel(10, { minDwellMs: -1 })).toThrow(/watermarks\.minDwellMs must be/);
      expect(() => toBackpressureLevel(10, { minDwellMs: '5' as never })).toThrow(TypeError);
    });
  });
});
