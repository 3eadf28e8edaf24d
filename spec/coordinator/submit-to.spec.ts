import { TestScheduler } from 'rxjs/testing';
import { Subject, map, of, type Observable } from 'rxjs';
import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import { submitTo } from '../../lib/coordinator/submit-to.js';
import { pauseWhile } from '../../lib/pacing/pause-while.js';
import { expectBalanced, gatedCoordinator, range } from './helpers.js';
import { VirtualClock } from '../support/virtual-clock.js';

let clock: VirtualClock;
/** Lets the coordinators run until `predicate` holds, within `timeoutMs` of virtual time. */
const waitFor = (predicate: () => boolean, timeoutMs?: number, what?: string) =>
  clock.until(predicate, timeoutMs, what);
beforeEach(() => {
  clock = new VirtualClock();
});

const stopAll: WriteCoordinator<unknown>[] = [];
afterEach(async () => {
  await clock.run(Promise.all(stopAll.splice(0).map((c) => c.stop({ drain: false, timeoutMs: 100 }))));
});

/** A coordinator on `scheduler` with a synchronous sink that records what it wrote. */
function recording<T>(scheduler: TestScheduler, capacity = 100) {
  const written: T[] = [];
  const coordinator = new WriteCoordinator<T>({
    bus: null,
    capacity,
    batchSize: 10,
    workers: 1,
    flushIntervalMs: 0,
    scheduler,
    sink: (batch) => {
      written.push(...batch);
    },
  });
  stopAll.push(coordinator as WriteCoordinator<unknown>);
  coordinator.start();
  return { coordinator, written };
}

/** Collects how a stream ends: 'complete' or the error. */
function outcome(stream: Observable<never>): Promise<unknown> {
  return new Promise((resolve) => stream.subscribe({ complete: () => resolve('complete'), error: resolve }));
}

describe('submitTo', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('submits every value in order, emits nothing and completes with the source', async () => {
    const { coordinator, written } = recording<string>(testScheduler);
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-b--c-|');
      const expected = '    --------|';
      expectObservable(source.pipe(submitTo(coordinator))).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe('^-------!');
    });
    expect(coordinator.health().submitted).toBe(3);
    await waitFor(() => written.length === 3, 2_000, 'three writes');
    expect(written).toEqual(['a', 'b', 'c']);
  });

  describe('completion', () => {
    it('completes at once for an empty source', () => {
      const { coordinator } = recording<string>(testScheduler);
      testScheduler.run(({ cold, expectObservable }) => {
        expectObservable(cold('|').pipe(submitTo(coordinator))).toBe('|');
      });
      expect(coordinator.health().submitted).toBe(0);
    });

    it('completes synchronously after a synchronous burst of 10 000 values, all accepted in order', async () => {
      const { coordinator, written } = recording<number>(testScheduler, 20_000);
      let completed = false;
      of(...range(10_000))
        .pipe(submitTo(coordinator))
        .subscribe({ complete: () => (completed = true) });
      expect(completed).toBe(true);
      expect(coordinator.health().submitted).toBe(10_000);
      await waitFor(() => written.length === 10_000, 5_000, 'every write');
      expect(written).toEqual(range(10_000));
    });
  });

  describe('errors', () => {
    it('errors when the source errors', () => {
      const { coordinator } = recording<string>(testScheduler);
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('  -a-#', undefined, new Error('feed lost'));
        expectObservable(source.pipe(submitTo(coordinator))).toBe('---#', undefined, new Error('feed lost'));
      });
      expect(coordinator.health().submitted).toBe(1);
    });

    it("errors with the coordinator's QueueFullError under 'reject' without onRefused", async () => {
      const { coordinator } = gatedCoordinator<number>({ scheduler: clock, overflow: 'reject' }, stopAll);
      const error = await outcome(of(1, 2, 3).pipe(submitTo(coordinator)));
      expect(error).toMatchObject({ name: 'QueueFullError', capacity: 2 });
      expect(coordinator.health()).toMatchObject({ submitted: 3, rejected: 1 });
      expectBalanced(coordinator);
    });

    it('hands refused values to onRefused, in order, and goes on to complete', async () => {
      const { coordinator } = gatedCoordinator<number>({ scheduler: clock, overflow: 'reject' }, stopAll);
      const refused: [number, string][] = [];
      const end = await outcome(
        of(1, 2, 3, 4).pipe(
          submitTo(coordinator, {
            onRefused: (value, error) => refused.push([value, (error as Error).name]),
          }),
        ),
      );
      expect(end).toBe('complete');
      expect(refused).toEqual([
        [3, 'QueueFullError'],
        [4, 'QueueFullError'],
      ]);
      expect(coordinator.health()).toMatchObject({ submitted: 4, rejected: 2 });
    });

    it('errors with CoordinatorClosedError once the coordinator is stopped, counting the refusal', async () => {
      const { coordinator } = gatedCoordinator<number>({ scheduler: clock }, stopAll);
      await clock.run(coordinator.stop({ drain: false, timeoutMs: 10 }));
      const error = await outcome(of(1).pipe(submitTo(coordinator)));
      expect(error).toMatchObject({ name: 'CoordinatorClosedError' });
      expect(coordinator.health()).toMatchObject({ submitted: 1, rejected: 1 });
    });

    it('errors with what onRefused throws', async () => {
      const { coordinator } = gatedCoordinator<number>({ scheduler: clock, overflow: 'reject' }, stopAll);
      const thrown = new Error('cannot log');
      const error = await outcome(
        of(1, 2, 3).pipe(
          submitTo(coordinator, {
            onRefused: () => {
              throw thrown;
            },
          }),
        ),
      );
      expect(error).toBe(thrown);
    });

    it('throws a TypeError at call time for a bad coordinator or option', () => {
      expect(() => submitTo({} as never)).toThrow(/expects a WriteCoordinator/);
      const { coordinator } = recording<number>(testScheduler);
      expect(() => submitTo(coordinator, { onRefused: 'log' as never })).toThrow(TypeError);
      expect(() => submitTo(coordinator, null as never)).toThrow(/options must be an object/);
    });
  });

  describe("waiting under 'block'", () => {
    it('waits while full, keeps the order, and completes once every value was accepted', async () => {
      const { coordinator, written, release } = gatedCoordinator<number>(
        { scheduler: clock, capacity: 2, batchSize: 2 },
        stopAll,
      );
      const source = new Subject<number>();
      const end = outcome(source.pipe(submitTo(coordinator)));
      for (const value of range(7, 1)) source.next(value);
      source.complete();
      expect(coordinator.health()).toMatchObject({ submitted: 2 }); // 5 wait in line
      let done = false;
      void end.then(() => (done = true));
      await clock.advance(5);
      expect(done).toBe(false);
      for (let i = 0; i < 4; i++) release();
      expect(await end).toBe('complete');
      await waitFor(() => written.length === 7, 2_000, 'seven writes');
      expect(written).toEqual(range(7, 1));
      expect(coordinator.health()).toMatchObject({ submitted: 7, rejected: 0 });
    });
  });

  describe('unsubscription', () => {
    it('stops taking values when unsubscribed', () => {
      const { coordinator } = recording<string>(testScheduler);
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('  -a-b-c-d-|');
        const unsub = '       ----!';
        expectObservable(source.pipe(submitTo(coordinator)), unsub).toBe('-----');
        expectSubscriptions(source.subscriptions).toBe('^---!');
      });
      expect(coordinator.health().submitted).toBe(2);
    });
  });

  describe('after pauseWhile on the level', () => {
    it('submits a released burst without ever waiting, pausing again on hard', () => {
      // Capacity 10 and a coordinator that holds what it accepts: the level turns hard at 8, pauseWhile
      // holds the rest.
      const coordinator = new WriteCoordinator<number>({
        bus: null,
        autoStart: false,
        capacity: 10,
        batchSize: 100,
        flushIntervalMs: 1_000,
        scheduler: testScheduler,
        sink: () => new Promise<void>(() => undefined),
      });
      stopAll.push(coordinator as WriteCoordinator<unknown>);
      const paused$ = coordinator.level$.pipe(map((level) => level === 'hard'));
      testScheduler.run(({ expectObservable }) => {
        expectObservable(
          of(...range(20)).pipe(pauseWhile(paused$, {}, testScheduler), submitTo(coordinator)),
        ).toBe('-');
      });
      expect(coordinator.health()).toMatchObject({ submitted: 8, rejected: 0, queueSize: 8 });
    });
  });
});
