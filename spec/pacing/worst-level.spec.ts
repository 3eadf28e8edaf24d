import { TestScheduler } from 'rxjs/testing';
import { NEVER, of } from 'rxjs';
import { worstLevel } from '../../lib/pacing/worst-level.js';
import type { BackpressureLevel } from '../../lib/levels/backpressure-level.js';
import { LEVEL_VALUES as L } from '../../lib/testing/level-values.js';

describe('worstLevel', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it("emits the worst of the inputs, each 'ok' until it emits, distinct", () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const a = hot('  --s---o---o--|', L);
      const b = hot('  ----h---o---s-|', L);
      const expected = 'o-s-h---o---s-|';
      expectObservable(worstLevel(a, b)).toBe(expected, L);
    });
  });

  it('keeps the last level of a completed input and completes when all have', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const a = cold(' -h|', L);
      const b = cold(' ----s--|', L);
      expectObservable(worstLevel(a, b)).toBe('oh-----|', L);
    });
  });

  it('errors when an input errors, and unsubscribes from the others', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const a = hot(' -s--#', L);
      const b = hot(' ---h--', L);
      expectObservable(worstLevel(a, b)).toBe('os-h#', L);
      expectSubscriptions(b.subscriptions).toBe('^---!');
    });
  });

  it('errors with a TypeError for a value that is not a level', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const a = cold(' -x', { x: 'bad' as BackpressureLevel });
      expectObservable(worstLevel(a)).toBe(
        'o#',
        L,
        new TypeError(`levels$[0] must emit 'ok', 'soft' or 'hard', found string "bad"`),
      );
    });
  });

  it('unsubscribes from every input', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const a = hot(' -s-----', L);
      const b = hot(' ---h---', L);
      expectObservable(worstLevel(a, b), '^----!').toBe('os-h-', L);
      expectSubscriptions(a.subscriptions).toBe('^----!');
      expectSubscriptions(b.subscriptions).toBe('^----!');
    });
  });

  it('combines synchronous inputs as they arrive', () => {
    const levels: BackpressureLevel[] = [];
    let completed = false;
    worstLevel(of<BackpressureLevel>('soft'), of<BackpressureLevel[]>('hard', 'ok')).subscribe({
      next: (level) => levels.push(level),
      complete: () => (completed = true),
    });
    // The first input is already 'soft' when the second starts, at 'ok'.
    expect(levels).toEqual(['soft', 'hard', 'soft']);
    expect(completed).toBe(true);
  });

  it("emits 'ok' and completes with no inputs", () => {
    testScheduler.run(({ expectObservable }) => {
      expectObservable(worstLevel()).toBe('(o|)', L);
    });
  });

  it('rejects arguments that are not Observables', () => {
    expect(() => worstLevel(NEVER, 'hard' as unknown as typeof NEVER)).toThrow(
      new TypeError('levels$[1] must be an Observable, found string "hard"'),
    );
  });
});
