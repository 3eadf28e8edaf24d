import { TestScheduler } from 'rxjs/testing';
import { of } from 'rxjs';
import { toFeedbackEvents } from '../../lib/levels/to-feedback-events.js';
import type { FeedbackEvent } from '../../lib/feedback/feedback-event.js';

const D = { a: 0, b: 4, c: 5, d: 7, e: 8, f: 9, g: 6, h: 3 };

function ev(
  level: FeedbackEvent['level'],
  previousLevel: FeedbackEvent['level'],
  queueSize: number,
  reason: string,
  ts: number,
): FeedbackEvent {
  return {
    coordinatorId: 'db',
    level,
    previousLevel,
    queueSize,
    capacity: 10,
    utilization: queueSize / 10,
    reason,
    source: 'coordinator',
    ts,
  };
}

describe('toFeedbackEvents', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('emits an event on every level change, with its reason, depth and scheduler time', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const depth$ = cold(' abcdefdgbhc|', D); // depths 0 4 5 7 8 9 7 6 4 3 5
      const expected = '    --s-h--d-ot|';
      const events = {
        s: ev('soft', 'ok', 5, 'soft_watermark', 2),
        h: ev('hard', 'soft', 8, 'high_watermark', 4),
        d: ev('soft', 'hard', 6, 'queue_draining', 7),
        o: ev('ok', 'soft', 3, 'queue_recovered', 9),
        t: ev('soft', 'ok', 5, 'soft_watermark', 10),
      };
      const options = { coordinatorId: 'db', capacity: 10, scheduler: testScheduler };
      expectObservable(depth$.pipe(toFeedbackEvents(options))).toBe(expected, events);
    });
  });

  it('emits nothing for a first depth whose level is ok, and an event for one that is not', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const options = { coordinatorId: 'db', capacity: 10, scheduler: testScheduler };
      expectObservable(cold('a|', D).pipe(toFeedbackEvents(options))).toBe('-|');
      expectObservable(cold('f|', D).pipe(toFeedbackEvents(options))).toBe('h|', {
        h: ev('hard', 'ok', 9, 'high_watermark', 0),
      });
    });
  });

  it('uses the given source and watermarks', () => {
    const events: FeedbackEvent[] = [];
    of(6)
      .pipe(
        toFeedbackEvents({
          coordinatorId: 'db',
          capacity: 10,
          source: 'ingest',
          watermarks: { soft: 0.6, hard: 0.9 },
        }),
      )
      .subscribe((e) => events.push(e));
    expect(events.map((e) => [e.level, e.source])).toEqual([['soft', 'ingest']]);
    expect(Object.isFrozen(events[0])).toBe(true);
  });

  it('passes errors and completion through, and errors on a bad depth', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const options = { coordinatorId: 'db', capacity: 10, scheduler: testScheduler };
      expectObservable(cold('a-#', D, new Error('x')).pipe(toFeedbackEvents(options))).toBe(
        '--#',
        {},
        new Error('x'),
      );
      expectObservable(cold('a-x', { a: 0, x: NaN }).pipe(toFeedbackEvents(options))).toBe(
        '--#',
        {},
        new RangeError('depth must be a finite number >= 0, found NaN'),
      );
    });
  });

  it('unsubscribes from the source on teardown', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const depth$ = cold('a-e-a|', D);
      const options = { coordinatorId: 'db', capacity: 10, scheduler: testScheduler };
      expectObservable(depth$.pipe(toFeedbackEvents(options)), '^--!').toBe('--h', {
        h: ev('hard', 'ok', 8, 'high_watermark', 2),
      });
      expectSubscriptions(depth$.subscriptions).toBe('^--!');
    });
  });

  it.each([
    [{ coordinatorId: '', capacity: 10 }, 'coordinatorId must be a non-empty string, found string ""'],
    [{ coordinatorId: 'db', capacity: 0 }, 'capacity must be an integer >= 1, found 0'],
    [{ coordinatorId: 'db', capacity: 2.5 }, 'capacity must be an integer >= 1, found 2.5'],
    [
      { coordinatorId: 'db', capacity: 10, watermarks: { hard: 2 } },
      'watermarks.hard must be a finite number within [0, 1], found 2',
    ],
  ])('rejects bad options %p', (options, message) => {
    expect(() => toFeedbackEvents(options)).toThrow(message);
  });
  describe('minDwellMs', () => {
    it('holds a level at least minDwellMs and reports the fall with the latest depth', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        // 8 at 0 (hard), 6 at 1, 3 at 2: after the 5 ms dwell the level falls straight to ok
        const depth$ = cold(' egh------|', D);
        const expected = '    h----o---|';
        expectObservable(
          depth$.pipe(
            toFeedbackEvents({
              coordinatorId: 'db',
              capacity: 10,
              watermarks: { minDwellMs: 5 },
              scheduler: testScheduler,
            }),
          ),
        ).toBe(expected, {
          h: ev('hard', 'ok', 8, 'high_watermark', 0),
          o: ev('ok', 'hard', 3, 'queue_recovered', 5),
        });
      });
    });
  });
});
