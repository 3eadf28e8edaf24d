import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import type { WriteCoordinatorOptions } from '../../lib/coordinator/write-coordinator-options.js';
import { FeedbackBus, feedbackBus } from '../../lib/feedback/feedback-bus.js';
import type * as BusModuleType from '../../lib/feedback/feedback-bus.js';
import type { FeedbackEvent } from '../../lib/feedback/feedback-event.js';
import { createFeedbackEvent } from '../../lib/feedback/feedback-event.js';
import { MemoryDeadLetterQueue } from '../../lib/dead-letter/memory-dead-letter-queue.js';
import { isDuplicateCoordinatorIdError } from '../../lib/errors/duplicate-coordinator-id-error.js';
import { isCoordinatorClosedError } from '../../lib/errors/coordinator-closed-error.js';
import { isFeedbackFormatError } from '../../lib/errors/feedback-format-error.js';
import { VirtualClock } from '../support/virtual-clock.js';
import { expectBalanced, range } from './helpers.js';

const live: WriteCoordinator<unknown>[] = [];
function make<T>(clock: VirtualClock, options: WriteCoordinatorOptions<T>): WriteCoordinator<T> {
  const coordinator = new WriteCoordinator<T>({ bus: null, scheduler: clock, ...options });
  live.push(coordinator as WriteCoordinator<unknown>);
  return coordinator;
}
afterEach(async () => {
  const clock = new VirtualClock();
  const stops = live.splice(0).map((c) => c.stop({ drain: false, timeoutMs: 0 }));
  await clock.settle();
  await Promise.allSettled(stops);
});

describe('WriteCoordinator defaults that must not hurt', () => {
  it("holds items through a database outage: retried, breaker open, 'hard' with circuit_open", async () => {
    const clock = new VirtualClock();
    let down = true;
    const written: number[] = [];
    const events: FeedbackEvent[] = [];
    const deadLetter = new MemoryDeadLetterQueue<number>();
    const coordinator = make<number>(clock, {
      // what pg throws when the server goes away
      sink: (batch) => {
        if (down) throw new Error('Connection terminated unexpectedly');
        written.push(...batch);
      },
      batchSize: 10,
      flushIntervalMs: 0,
      deadLetter,
      circuitBreaker: { failureThreshold: 5, halfOpenAfterMs: 1_000 },
      retry: { jitter: false },
    });
    coordinator.feedback$.subscribe((e) => events.push(e));
    await coordinator.submitMany(range(40));
    await clock.advance(500);
    expect(coordinator.health()).toMatchObject({ circuitState: 'open', level: 'hard', deadLettered: 0 });
    expect(events.some((e) => e.level === 'hard' && e.reason === 'circuit_open')).toBe(true);
    down = false;
    await clock.until(() => written.length === 40, 30_000);
    expect(deadLetter.size).toBe(0);
    expect(coordinator.level).toBe('ok');
    expectBalanced(coordinator);
  });

  it('accepts a sink that returns any value (a driver result), and ignores it', async () => {
    const clock = new VirtualClock();
    const db = {
      insert: (rows: readonly number[], _options: { signal: AbortSignal }) => Promise.resolve(rows.length),
    };
    const coordinator = make<number>(clock, {
      sink: (batch, { signal }) => db.insert(batch, { signal }),
      flushIntervalMs: 0,
    });
    const other = make<number>(clock, { sink: { write: () => ({ rowCount: 1 }) }, flushIntervalMs: 0 });
    await coordinator.submitMany([1, 2]);
    await other.submit(3);
    await clock.advance(1);
    expect(coordinator.health().written).toBe(2);
    expect(other.health().written).toBe(1);
  });

  describe('autoStart', () => {
    it('starts an idle coordinator on the first submit', async () => {
      const clock = new VirtualClock();
      const written: number[] = [];
      const coordinator = make<number>(clock, { sink: (b) => void written.push(...b), flushIntervalMs: 0 });
      expect(coordinator.state).toBe('idle');
      await coordinator.submit(1);
      expect(coordinator.state).toBe('running');
      await clock.advance(1);
      expect(written).toEqual([1]);
    });

    it('with autoStart false, accepts items and writes them after start()', async () => {
      const clock = new VirtualClock();
      const written: number[] = [];
      const coordinator = make<number>(clock, {
        sink: (b) => void written.push(...b),
        flushIntervalMs: 0,
        autoStart: false,
      });
      await coordinator.submitMany([1, 2]);
      await clock.advance(100);
      expect(written).toEqual([]);
      expect(coordinator.health().queueSize).toBe(2);
      coordinator.start();
      await clock.advance(1);
      expect(written).toEqual([1, 2]);
    });
  });

  it('keeps the default bus on a global registry symbol, shared by separate copies of the module', () => {
    type BusModule = typeof BusModuleType;
    let copy: BusModule | undefined;
    jest.isolateModules(() => {
      // A second instance of the module, as a CommonJS copy beside an ESM one would be.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      copy = require('../../lib/feedback/feedback-bus.js') as BusModule;
    });
    expect(copy!.feedbackBus).not.toBe(feedbackBus);
    expect(copy!.feedbackBus()).toBe(feedbackBus());
    expect(
      (globalThis as Record<symbol, unknown>)[Symbol.for('rxjs-backpressure.default-feedback-bus')],
    ).toBe(feedbackBus());
  });

  describe('ids', () => {
    it("gives coordinators without an id unique ones on a bus: 'default', 'default-2', ...", async () => {
      const clock = new VirtualClock();
      const bus = new FeedbackBus();
      const a = make<number>(clock, { sink: () => undefined, bus });
      const b = make<number>(clock, { sink: () => undefined, bus });
      const c = make<number>(clock, { sink: () => undefined, bus });
      expect([a.id, b.id, c.id]).toEqual(['default', 'default-2', 'default-3']);
      const stopped = b.stop();
      await clock.advance(0);
      await stopped;
      expect(make<number>(clock, { sink: () => undefined, bus }).id).toBe('default-2');
    });

    it('refuses to start a second live coordinator with the same id on one bus, naming the id', async () => {
      const clock = new VirtualClock();
      const bus = new FeedbackBus();
      const first = make<number>(clock, { sink: () => undefined, bus, id: 'orders' });
      const second = make<number>(clock, { sink: () => undefined, bus, id: 'orders' });
      first.start();
      let error: unknown;
      try {
        second.start();
      } catch (e) {
        error = e;
      }
      expect(isDuplicateCoordinatorIdError(error)).toBe(true);
      expect((error as Error).message).toContain("'orders'");
      // auto-started: the submit is refused (and counted) with the same error
      const refused: unknown = await second.submit(1).catch((e: unknown) => e);
      expect(isDuplicateCoordinatorIdError(refused)).toBe(true);
      expect(second.health()).toMatchObject({ submitted: 1, rejected: 1 });
      // the same id on another bus is fine
      make<number>(clock, { sink: () => undefined, bus: new FeedbackBus(), id: 'orders' }).start();
      const stopping = first.stop();
      await clock.advance(0);
      await stopping;
      expect(() => second.start()).not.toThrow();
    });

    it("makes the bus forget a stopped coordinator's latest event", async () => {
      const clock = new VirtualClock();
      const bus = new FeedbackBus();
      const coordinator = make<number>(clock, {
        sink: () => new Promise<void>(() => undefined),
        bus,
        id: 'gone',
        capacity: 2,
        workers: 1,
      });
      await coordinator.submitMany([1, 2]);
      expect(bus.latest('gone')?.level).toBe('hard');
      const stopping = coordinator.stop({ timeoutMs: 10 });
      await clock.advance(10);
      await stopping;
      expect(bus.latest('gone')).toBeUndefined();
      expect(bus.latestAll().has('gone')).toBe(false);
    });
  });

  it('publish validates its argument: a bad one goes to errors$ and reaches no listener', () => {
    const bus = new FeedbackBus();
    const delivered: unknown[] = [];
    const errors: unknown[] = [];
    bus.subscribe((e) => void delivered.push(e));
    bus.errors$.subscribe((e) => errors.push(e));
    expect(() => bus.publish(null as unknown as FeedbackEvent)).not.toThrow();
    bus.publish({ coordinatorId: 'x', level: 'high' } as unknown as FeedbackEvent);
    expect(delivered).toEqual([]);
    expect(errors).toHaveLength(2);
    expect(errors.every(isFeedbackFormatError)).toBe(true);
    expect(String((errors[0] as Error).message)).toContain('found null');
    expect(bus.latest('x')).toBeUndefined();
    const good = createFeedbackEvent({
      coordinatorId: 'x',
      level: 'ok',
      previousLevel: 'soft',
      queueSize: 0,
      capacity: 1,
      ts: 0,
    });
    bus.publish(good);
    expect(delivered).toEqual([good]);
  });

  it('says in the stop report what was written during the stop and in total', async () => {
    const clock = new VirtualClock();
    const coordinator = make<number>(clock, { sink: () => undefined, flushIntervalMs: 1_000 });
    await coordinator.submitMany([1, 2, 3]);
    await clock.advance(1_000);
    await coordinator.submit(4);
    const stopping = coordinator.stop();
    await clock.advance(1);
    expect(await stopping).toMatchObject({
      drained: true,
      writtenDuringStop: 1,
      deadLetteredDuringStop: 0,
      written: 4,
      deadLettered: 0,
    });
    const idle = make<number>(clock, { sink: () => undefined });
    const report = idle.stop();
    await clock.advance(0);
    expect(await report).toMatchObject({ drained: true, writtenDuringStop: 0, written: 0 });
  });

  it('counts and dead-letters from its own record of a batch, whatever the sink does to its array', async () => {
    const clock = new VirtualClock();
    const deadLetter = new MemoryDeadLetterQueue<number>();
    let call = 0;
    const coordinator = make<number>(clock, {
      sink: (batch) => {
        const mutable = batch as number[];
        call++;
        if (call === 1) mutable.length = 0;
        if (call === 2) mutable.push(7, 8, 9);
        if (call === 3) {
          mutable.splice(0, 2);
          throw Object.assign(new Error('rejected'), { retryable: false });
        }
      },
      batchSize: 5,
      flushIntervalMs: 0,
      workers: 1,
      deadLetter,
    });
    await coordinator.submitMany(range(15));
    const stopping = coordinator.stop();
    await clock.advance(10);
    const report = await stopping;
    expect(report).toMatchObject({ written: 10, deadLettered: 5 });
    expect(coordinator.health()).toMatchObject({ inFlight: 0, queueSize: 0, written: 10 });
    expect(deadLetter.records[0]!.items).toEqual([10, 11, 12, 13, 14]);
    expectBalanced(coordinator);
  });

  it('refuses blocked submits at stop with one shared error, and gives submitMany its own', async () => {
    const clock = new VirtualClock();
    const coordinator = make<number>(clock, {
      sink: () => new Promise<void>(() => undefined),
      capacity: 1,
      workers: 1,
    });
    await coordinator.submit(0);
    const waits = range(1_000).map((n) => coordinator.submit(n).catch((e: unknown) => e));
    const many = coordinator.submitMany([1, 2]).catch((e: unknown) => e);
    const stopping = coordinator.stop({ timeoutMs: 50 });
    const errors = await Promise.all(waits);
    expect(errors.every(isCoordinatorClosedError)).toBe(true);
    expect(new Set(errors).size).toBe(1);
    const own = await many;
    expect(isCoordinatorClosedError(own)).toBe(true);
    expect(own).not.toBe(errors[0]);
    expect((own as { accepted?: number }).accepted).toBe(0);
    expect((errors[0] as { accepted?: number }).accepted).toBeUndefined();
    await clock.advance(50);
    expect(await stopping).toMatchObject({ drained: false });
    expectBalanced(coordinator);
  });
});
