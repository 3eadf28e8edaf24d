import { TestScheduler } from 'rxjs/testing';
import { Subject, map } from 'rxjs';
import { pauseOn } from '../../lib/pacing/pause-on.js';
import { pauseWhile } from '../../lib/pacing/pause-while.js';
import { createFeedbackEvent } from '../../lib/feedback/feedback-event.js';
import type { BackpressureLevel } from '../../lib/levels/backpressure-level.js';
import { LEVEL_VALUES } from '../../lib/testing/level-values.js';

const P = { t: true, f: false };

describe('pauseOn', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('pauses at hard and resumes only at ok by default', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const level$ = hot('  -s-h-s-h-s-o-s-|', LEVEL_VALUES);
      const expected = '    f--t-------f---|';
      expectObservable(pauseOn(level$)).toBe(expected, P);
    });
  });

  it('pauses at soft and resumes at ok', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const level$ = hot('  -s-h-s-o-h-o-|', LEVEL_VALUES);
      const expected = '    fs-----f-t-f-|'.replace('s', 't');
      expectObservable(pauseOn(level$, { pauseAt: 'soft' })).toBe(expected, P);
    });
  });

  it('resumes at soft when told to', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const level$ = hot('  -h-s-h-o-|', LEVEL_VALUES);
      const expected = '    ft-f-t-f-|';
      expectObservable(pauseOn(level$, { resumeAt: 'soft' })).toBe(expected, P);
    });
  });

  it('emits false on subscribe and never repeats a value', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(pauseOn(cold('o-o-s-o-|', LEVEL_VALUES))).toBe('f-------|', P);
    });
  });

  it('follows the worst latest level of feedback events', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const event = (coordinatorId: string, level: BackpressureLevel) =>
        createFeedbackEvent({
          coordinatorId,
          level,
          previousLevel: 'ok',
          queueSize: 0,
          capacity: 10,
          utilization: 0,
          reason: null,
          source: 'spec',
          ts: 0,
        });
      const feedback$ = hot('-a-b-c-d-|', {
        a: event('bars', 'hard'),
        b: event('quotes', 'soft'),
        c: event('bars', 'ok'),
        d: event('quotes', 'ok'),
      });
      expectObservable(pauseOn(feedback$)).toBe('ft-----f-|', P);
    });
  });

  it('errors with its input', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      expectObservable(pauseOn(hot('-h-#', LEVEL_VALUES))).toBe('ft-#', P);
    });
  });

  it('errors with a TypeError for an input that is not a level or an event', () => {
    const errors: unknown[] = [];
    const input = new Subject<BackpressureLevel>();
    pauseOn(input).subscribe({ error: (e: unknown) => errors.push(e) });
    input.next('HARD' as BackpressureLevel);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(TypeError);
    expect(String(errors[0])).toMatch(/'ok', 'soft' or 'hard', found string "HARD"/);
  });

  it('unsubscribes from its input when unsubscribed', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const level$ = hot('-h---o-', LEVEL_VALUES);
      expectObservable(pauseOn(level$), '^--!').toBe('ft-', P);
      expectSubscriptions(level$.subscriptions).toBe('^--!');
    });
  });

  it('feeds pauseWhile: values wait from hard until ok', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const level$ = hot('  ---h---s---o--', LEVEL_VALUES);
      const source = hot('  -a---b---c-----d', { a: 1, b: 2, c: 3, d: 4 });
      const expected = '    -a---------(bc)d';
      expectObservable(source.pipe(pauseWhile(pauseOn(level$), {}, testScheduler))).toBe(expected, {
        a: 1,
        b: 2,
        c: 3,
        d: 4,
      });
    });
  });

  it('is re-entrant-safe with a level stream that a released value drives synchronously', () => {
    const level$ = new Subject<BackpressureLevel>();
    const seen: boolean[] = [];
    pauseOn(level$.pipe(map((l) => l))).subscribe((paused) => {
      seen.push(paused);
      if (paused) level$.next('ok'); // a subscriber reacting synchronously
    });
    level$.next('hard');
    expect(seen).toEqual([false, true, false]);
  });

  describe('options', () => {
    it.each([
      [{ pauseAt: 'ok' }, /pauseAt must be one of 'soft', 'hard', found string "ok"/],
      [{ resumeAt: 'hard' }, /resumeAt must be one of 'ok', 'soft', found string "hard"/],
      [
        { pauseAt: 'soft', resumeAt: 'soft' },
        /resumeAt must be milder than pauseAt \('soft'\), found 'soft'/,
      ],
    ])('refuses %j with a RangeError', (options, message) => {
      expect(() => pauseOn(new Subject<BackpressureLevel>(), options as never)).toThrow(RangeError);
      expect(() => pauseOn(new Subject<BackpressureLevel>(), options as never)).toThrow(message);
    });

    it('refuses a level$ that is not an Observable', () => {
      expect(() => pauseOn('hard' as never)).toThrow(TypeError);
      expect(() => pauseOn('hard' as never)).toThrow(/level\$ must be an Observable/);
    });
  });
});
