import { of } from 'rxjs';
import { createTestScheduler } from '../../lib/testing/create-test-scheduler.js';
import { FakeDepthQueue } from '../../lib/testing/fake-depth-queue.js';
import { DIGIT_VALUES, LEVEL_VALUES, levelsOf } from '../../lib/testing/level-values.js';
import { toBackpressureLevel } from '../../lib/levels/to-backpressure-level.js';
import type { BackpressureLevel } from '../../lib/levels/backpressure-level.js';

describe('testing helpers', () => {
  it('make a level marble test one line', () => {
    createTestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(
      ({ cold, expectObservable }) => {
        expectObservable(cold('0-4-5-8-6-3|', DIGIT_VALUES).pipe(toBackpressureLevel(10))).toBe(
          'o---s-h-s-o|',
          LEVEL_VALUES,
        );
      },
    );
  });

  it('createTestScheduler fails through the given assertion', () => {
    const scheduler = createTestScheduler((actual, expected) => expect(actual).toEqual(expected));
    expect(() =>
      scheduler.run(({ cold, expectObservable }) => {
        expectObservable(cold('0|', DIGIT_VALUES).pipe(toBackpressureLevel(10))).toBe('h|', LEVEL_VALUES);
      }),
    ).toThrow();
    expect(() => createTestScheduler(undefined as never)).toThrow(TypeError);
  });

  it('levelsOf reads a level marble', () => {
    expect(levelsOf('o-s-(hs)|')).toEqual(['ok', 'soft', 'hard', 'soft']);
  });

  it('FakeDepthQueue drives level operators by hand', () => {
    const queue = new FakeDepthQueue(10);
    const levels: BackpressureLevel[] = [];
    queue.depth$.pipe(toBackpressureLevel(queue.capacity)).subscribe((l) => levels.push(l));
    queue.play([4, 5, 8, 6, 3]);
    expect(queue.size).toBe(3);
    expect(levels).toEqual(['ok', 'soft', 'hard', 'soft', 'ok']);
    let completed = false;
    queue.depth$.subscribe({ complete: () => (completed = true) });
    queue.complete();
    expect(completed).toBe(true);
  });

  it('FakeDepthQueue rejects depths outside [0, capacity] and bad capacities', () => {
    const queue = new FakeDepthQueue(10, 2);
    expect(() => queue.setDepth(11)).toThrow('depth must be an integer within [0, 10], found 11');
    expect(() => new FakeDepthQueue(0)).toThrow('capacity must be an integer >= 1, found 0');
  });

  it('DIGIT_VALUES maps digits to depths', () => {
    const seen: number[] = [];
    of('0', '7', '9').subscribe((d) => seen.push(DIGIT_VALUES[d]!));
    expect(seen).toEqual([0, 7, 9]);
  });
});
