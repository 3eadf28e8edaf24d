import { TestScheduler } from 'rxjs/testing';
import { BehaviorSubject, NEVER, Subject, VirtualTimeScheduler, of, throwError } from 'rxjs';
import fc from 'fast-check';
import { pauseWhile } from '../../lib/pacing/pause-while.js';
import { BufferOverflowError, isBufferOverflowError } from '../../lib/errors/buffer-overflow-error.js';
import { isBackpressureError } from '../../lib/errors/backpressure-error.js';
import type { Dropped } from '../../lib/queue/bounded-queue.js';

const P = { t: true, f: false };

describe('pauseWhile', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('lets values through while paused$ has not emitted', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const source = hot('-a-b-c-|');
      const paused = cold('-------', P);
      expectObservable(source.pipe(pauseWhile(paused))).toBe('-a-b-c-|');
    });
  });

  it('holds values while paused and releases them in order on false', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot('  -a-b-c------d-|');
      const paused = hot('  --t---f--------', P);
      const expected = '    -a----(bc)--d-|';
      expectObservable(source.pipe(pauseWhile(paused))).toBe(expected);
    });
  });

  it('pauses and resumes as often as paused$ says, ignoring repeats', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot('  -ab-c------d--e-f---------|');
      const paused = hot('  t--t-f------t-------f', P);
      const expected = '    -----(abc)-d--------(ef)--|';
      expectObservable(source.pipe(pauseWhile(paused))).toBe(expected);
    });
  });

  describe('completion', () => {
    it('completes after releasing the buffer when the source completed while paused', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-b|');
        const paused = hot('  --t---f-', P);
        const expected = '    -a----(b|)';
        expectObservable(source.pipe(pauseWhile(paused))).toBe(expected);
        expectSubscriptions(source.subscriptions).toBe('^---!');
        expectSubscriptions(paused.subscriptions).toBe('^-----!');
      });
    });

    it('completes at once when the source completes while not paused', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-|');
        const paused = hot('  -----', P);
        expectObservable(source.pipe(pauseWhile(paused))).toBe('-a-|');
        expectSubscriptions(paused.subscriptions).toBe('^--!');
      });
    });

    it('keeps the last state when paused$ completes: paused stays paused', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-b-|');
        const paused = cold(' t|', P);
        expectObservable(source.pipe(pauseWhile(paused))).toBe('------');
        expectSubscriptions(paused.subscriptions).toBe('^!');
      });
    });

    it('keeps the last state when paused$ completes: running stays running', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const source = hot('  -a-b-|');
        const paused = cold(' t-f|', P);
        expectObservable(source.pipe(pauseWhile(paused))).toBe('--ab-|');
      });
    });
  });

  describe('errors', () => {
    it('errors at once when the source errors, even with values held', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-b-#');
        const paused = hot('  --t----f', P);
        expectObservable(source.pipe(pauseWhile(paused))).toBe('-a---#');
        expectSubscriptions(paused.subscriptions).toBe('^----!');
      });
    });

    it('errors when paused$ errors, and unsubscribes from the source', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-b-c-|');
        const paused = hot('  --t-#', P);
        expectObservable(source.pipe(pauseWhile(paused))).toBe('-a--#');
        expectSubscriptions(source.subscriptions).toBe('^---!');
      });
    });

    it('errors with a TypeError when paused$ emits something that is not a boolean', () => {
      testScheduler.run(({ hot, cold, expectObservable }) => {
        const source = hot('-a-b-|');
        const paused = cold('--x', { x: 'yes' as unknown as boolean });
        expectObservable(source.pipe(pauseWhile(paused))).toBe(
          '-a#',
          undefined,
          new TypeError('paused$ must emit booleans, found string "yes"'),
        );
      });
    });
  });

  describe('unsubscription and teardown', () => {
    it('unsubscribes from the source and paused$ when the subscriber unsubscribes', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-b-c-d-|');
        const paused = hot('  --t-------', P);
        expectObservable(source.pipe(pauseWhile(paused)), '^----!').toBe('-a----');
        expectSubscriptions(source.subscriptions).toBe('^----!');
        expectSubscriptions(paused.subscriptions).toBe('^----!');
      });
    });

    it('does not subscribe to the source when paused$ errors synchronously', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-a|');
        const failure = new Error('no pause signal');
        const paused = throwError(() => failure);
        expectObservable(source.pipe(pauseWhile(paused))).toBe('#', undefined, failure);
        expectSubscriptions(source.subscriptions).toBe([]);
      });
    });
  });

  describe('synchronous and re-entrant sources', () => {
    let scheduler: VirtualTimeScheduler;
    beforeEach(() => {
      scheduler = new VirtualTimeScheduler();
    });

    it('holds a synchronous source from its first value when paused$ is synchronously true', () => {
      const paused = new BehaviorSubject(true);
      const seen: number[] = [];
      let completed = false;
      of(1, 2, 3)
        .pipe(pauseWhile(paused, {}, scheduler))
        .subscribe({ next: (v) => seen.push(v), complete: () => (completed = true) });
      expect(seen).toEqual([]);
      expect(completed).toBe(false);
      paused.next(false);
      scheduler.flush();
      expect(seen).toEqual([1, 2, 3]);
      expect(completed).toBe(true);
    });

    it('passes values straight through, synchronously, while not paused', () => {
      const seen: number[] = [];
      of(1, 2, 3)
        .pipe(pauseWhile(new BehaviorSubject(false), {}, scheduler))
        .subscribe((v) => seen.push(v));
      expect(seen).toEqual([1, 2, 3]);
    });

    it('releases after the call of paused$ that said false has returned, not inside it', () => {
      // Like the coordinator's level$: a level change made while it is emitting is emitted after.
      const paused = new BehaviorSubject(true);
      const source = new Subject<number>();
      const seen: number[] = [];
      source.pipe(pauseWhile(paused, {}, scheduler)).subscribe((v) => seen.push(v));
      [1, 2].forEach((v) => source.next(v));
      paused.next(false);
      expect(seen).toEqual([]);
      scheduler.flush();
      expect(seen).toEqual([1, 2]);
    });

    it('keeps order when a value arrives between the resume and the release', () => {
      const paused = new BehaviorSubject(true);
      const source = new Subject<number>();
      const seen: number[] = [];
      source.pipe(pauseWhile(paused, {}, scheduler)).subscribe((v) => seen.push(v));
      [1, 2].forEach((v) => source.next(v));
      paused.next(false);
      source.next(3);
      source.complete();
      expect(seen).toEqual([]);
      scheduler.flush();
      expect(seen).toEqual([1, 2, 3]);
    });

    it('stops releasing when paused$ turns true during the release, and goes on at the next false', () => {
      const paused = new BehaviorSubject(true);
      const source = new Subject<number>();
      const seen: number[] = [];
      source.pipe(pauseWhile(paused, {}, scheduler)).subscribe((v) => {
        seen.push(v);
        if (v === 2) paused.next(true); // a submit crossing the watermark
      });
      [1, 2, 3, 4].forEach((v) => source.next(v));
      paused.next(false);
      scheduler.flush();
      expect(seen).toEqual([1, 2]);
      source.next(5);
      expect(seen).toEqual([1, 2]);
      paused.next(false);
      scheduler.flush();
      expect(seen).toEqual([1, 2, 3, 4, 5]);
    });

    it('keeps order when the observer pushes new values into the source during a release', () => {
      const paused = new BehaviorSubject(true);
      const source = new Subject<number>();
      const seen: number[] = [];
      source.pipe(pauseWhile(paused, {}, scheduler)).subscribe((v) => {
        seen.push(v);
        if (v === 1) source.next(10);
      });
      [1, 2, 3].forEach((v) => source.next(v));
      paused.next(false);
      scheduler.flush();
      expect(seen).toEqual([1, 2, 3, 10]);
    });

    it('completes once when the source completes during a release', () => {
      const paused = new BehaviorSubject(true);
      const source = new Subject<number>();
      const seen: (number | 'done')[] = [];
      source.pipe(pauseWhile(paused, {}, scheduler)).subscribe({
        next: (v) => {
          seen.push(v);
          if (v === 1) source.complete();
        },
        complete: () => seen.push('done'),
      });
      [1, 2].forEach((v) => source.next(v));
      paused.next(false);
      scheduler.flush();
      expect(seen).toEqual([1, 2, 'done']);
    });

    it('keeps order when the observer pushes into the source while values pass straight through', () => {
      // Not nested: the value pushed from inside an emission goes out once that emission returns.
      const source = new Subject<number>();
      const seen: string[] = [];
      source.pipe(pauseWhile(new BehaviorSubject(false), {}, scheduler)).subscribe((v) => {
        seen.push(`in ${v}`);
        if (v === 1) source.next(10);
        seen.push(`out ${v}`);
      });
      source.next(1);
      source.next(2);
      expect(seen).toEqual(['in 1', 'out 1', 'in 10', 'out 10', 'in 2', 'out 2']);
    });

    it('completes when the source completes from inside a value passing straight through', () => {
      const source = new Subject<number>();
      const seen: (number | 'done')[] = [];
      source.pipe(pauseWhile(new BehaviorSubject(false), {}, scheduler)).subscribe({
        next: (v) => {
          seen.push(v);
          if (v === 1) source.complete();
        },
        complete: () => seen.push('done'),
      });
      source.next(1);
      expect(seen).toEqual([1, 'done']);
    });

    it('holds a value that arrives while paused, without passing it through', () => {
      const paused = new BehaviorSubject(false);
      const source = new Subject<number>();
      const seen: number[] = [];
      source.pipe(pauseWhile(paused, {}, scheduler)).subscribe((v) => seen.push(v));
      source.next(1);
      paused.next(true);
      source.next(2);
      scheduler.flush();
      expect(seen).toEqual([1]);
      paused.next(false);
      scheduler.flush();
      expect(seen).toEqual([1, 2]);
    });

    it('releases on a microtask by default', async () => {
      const paused = new BehaviorSubject(true);
      const seen: number[] = [];
      of(1, 2)
        .pipe(pauseWhile(paused))
        .subscribe((v) => seen.push(v));
      paused.next(false);
      expect(seen).toEqual([]);
      await Promise.resolve();
      expect(seen).toEqual([1, 2]);
    });
  });

  describe('overflow', () => {
    it("errors with BufferOverflowError on value maxBuffered + 1 under 'error' (the default)", () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-b-c-d-|');
        const paused = hot('  t---------', P);
        expectObservable(source.pipe(pauseWhile(paused, { maxBuffered: 2 }))).toBe(
          '-----#',
          undefined,
          new BufferOverflowError(2, 3, 'pauseWhile'),
        );
        expectSubscriptions(source.subscriptions).toBe('^----!');
        expectSubscriptions(paused.subscriptions).toBe('^----!');
      });
    });

    it('says what the limit was and what was found', () => {
      const errors: unknown[] = [];
      const paused = new BehaviorSubject(true);
      of(1, 2, 3, 4)
        .pipe(pauseWhile(paused, { maxBuffered: 3 }))
        .subscribe({ error: (e: unknown) => errors.push(e) });
      expect(errors).toHaveLength(1);
      const [error] = errors;
      expect(isBufferOverflowError(error)).toBe(true);
      expect(isBackpressureError(error)).toBe(true);
      expect(error).toMatchObject({
        limit: 3,
        found: 4,
        operator: 'pauseWhile',
        name: 'BufferOverflowError',
      });
      expect((error as Error).message).toBe(
        "pauseWhile buffer overflow: expected at most 3 buffered values, found 4. Raise maxBuffered or choose overflow 'drop-oldest' or 'drop-newest'.",
      );
      expect(isBufferOverflowError(new Error('x'))).toBe(false);
    });

    it("drops the oldest held value under 'drop-oldest' and reports it to onDrop", () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const dropped: Dropped<string>[] = [];
        const source = hot('  -a-b-c-d-------|');
        const paused = hot('  t---------f---', P);
        const result = source.pipe(
          pauseWhile(paused, { maxBuffered: 2, overflow: 'drop-oldest', onDrop: (d) => dropped.push(d) }),
        );
        expectObservable(result).toBe('----------(cd)-|');
        testScheduler.flush();
        expect(dropped).toEqual([
          { item: 'a', reason: 'overflow' },
          { item: 'b', reason: 'overflow' },
        ]);
      });
    });

    it("drops the new value under 'drop-newest' and reports it to onDrop", () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const dropped: string[] = [];
        const source = hot('  -a-b-c-d-------|');
        const paused = hot('  t---------f---', P);
        const result = source.pipe(
          pauseWhile(paused, {
            maxBuffered: 2,
            overflow: 'drop-newest',
            onDrop: ({ item }) => dropped.push(item),
          }),
        );
        expectObservable(result).toBe('----------(ab)-|');
        testScheduler.flush();
        expect(dropped).toEqual(['c', 'd']);
      });
    });

    it('requires onDrop with a drop strategy, so that no value is lost silently', () => {
      expect(() => pauseWhile(NEVER, { maxBuffered: 1, overflow: 'drop-newest' })).toThrow(
        new TypeError(
          "onDrop must be a function when overflow is 'drop-newest' (every dropped value is reported to it), found undefined",
        ),
      );
      expect(() => pauseWhile(NEVER, { overflow: 'drop-oldest', onDrop: undefined })).toThrow(
        /onDrop must be a function when overflow is 'drop-oldest'/,
      );
      expect(() => pauseWhile(NEVER, { overflow: 'error' })).not.toThrow();
    });

    it('errors with what onDrop threw, and unsubscribes', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-b-c-|');
        const paused = hot('  t-------', P);
        const boom = new Error('onDrop failed');
        const result = source.pipe(
          pauseWhile(paused, {
            maxBuffered: 1,
            overflow: 'drop-oldest',
            onDrop: () => {
              throw boom;
            },
          }),
        );
        expectObservable(result).toBe('---#', undefined, boom);
        expectSubscriptions(source.subscriptions).toBe('^--!');
      });
    });

    it('does not overflow when values pass straight through', () => {
      const seen: number[] = [];
      of(1, 2, 3, 4, 5)
        .pipe(pauseWhile(NEVER, { maxBuffered: 1 }))
        .subscribe((v) => seen.push(v));
      expect(seen).toEqual([1, 2, 3, 4, 5]);
    });
  });

  describe('options', () => {
    it('rejects bad options at call time, naming them', () => {
      expect(() => pauseWhile(NEVER, { maxBuffered: 0 })).toThrow(
        new RangeError('maxBuffered must be an integer >= 1, found 0'),
      );
      expect(() => pauseWhile(NEVER, { maxBuffered: 1.5 })).toThrow(RangeError);
      expect(() => pauseWhile(NEVER, { maxBuffered: '10' as unknown as number })).toThrow(TypeError);
      expect(() => pauseWhile(NEVER, { overflow: 'block' as 'error' })).toThrow(
        new RangeError(`overflow must be one of 'error', 'drop-oldest', 'drop-newest', found string "block"`),
      );
      expect(() => pauseWhile(NEVER, { onDrop: 'log' as unknown as () => void })).toThrow(
        new TypeError('onDrop must be a function, found string "log"'),
      );
      expect(() => pauseWhile(true as unknown as BehaviorSubject<boolean>)).toThrow(
        new TypeError('paused$ must be an Observable, found boolean true'),
      );
    });
  });

  describe('properties', () => {
    type Step = { kind: 'value' } | { kind: 'pause'; paused: boolean } | { kind: 'reentrant-pause' };
    const step: fc.Arbitrary<Step> = fc.oneof(
      { weight: 4, arbitrary: fc.constant<Step>({ kind: 'value' }) },
      { weight: 2, arbitrary: fc.boolean().map<Step>((paused) => ({ kind: 'pause', paused })) },
      { weight: 1, arbitrary: fc.constant<Step>({ kind: 'reentrant-pause' }) },
    );

    it('emits exactly the source values, in order, for any pause pattern within the bound', () => {
      fc.assert(
        fc.property(
          fc.array(step, { maxLength: 200 }),
          fc.boolean(),
          fc.boolean(),
          (steps, startPaused, flushNow) => {
            const valueCount = steps.filter((s) => s.kind === 'value').length;
            const scheduler = new VirtualTimeScheduler();
            const paused = new BehaviorSubject(startPaused);
            const source = new Subject<number>();
            const pauseOnValue = new Set<number>();
            const seen: number[] = [];
            let completed = false;
            let failed: unknown;
            source.pipe(pauseWhile(paused, { maxBuffered: Math.max(1, valueCount) }, scheduler)).subscribe({
              next: (v) => {
                seen.push(v);
                if (pauseOnValue.has(v)) paused.next(true); // re-entrant pause from downstream
              },
              error: (e: unknown) => (failed = e),
              complete: () => (completed = true),
            });
            let next = 0;
            for (const s of steps) {
              if (s.kind === 'value') source.next(next++);
              else if (s.kind === 'pause') {
                paused.next(s.paused);
                if (flushNow) scheduler.flush();
              } else pauseOnValue.add(next);
            }
            source.complete();
            // Keep resuming until everything is out: each re-entrant pause stops one release.
            for (let i = 0; i <= valueCount && !completed; i++) {
              paused.next(false);
              scheduler.flush();
            }
            expect(failed).toBeUndefined();
            expect(completed).toBe(true);
            expect(seen).toEqual(Array.from({ length: valueCount }, (_, i) => i));
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});
