import fc from 'fast-check';
import { WriteCoordinator } from '../../lib/coordinator/write-coordinator.js';
import type { WriteCoordinatorOptions } from '../../lib/coordinator/write-coordinator-options.js';
import type { OverflowStrategy } from '../../lib/queue/bounded-queue.js';
import { isItemTooHeavyError } from '../../lib/errors/item-too-heavy-error.js';
import { isBackpressureError } from '../../lib/errors/backpressure-error.js';
import { VirtualClock } from '../support/virtual-clock.js';
import { expectBalanced } from './helpers.js';

interface Payload {
  readonly id: number;
  readonly bytes: number;
}

const payload = (id: number, bytes: number): Payload => ({ id, bytes });

/** A coordinator on virtual time whose items weigh their `bytes`; each write takes `writeMs`. */
function weighed(options: Partial<WriteCoordinatorOptions<Payload>> = {}, writeMs = 10) {
  const clock = new VirtualClock();
  const written: Payload[][] = [];
  const coordinator = new WriteCoordinator<Payload>({
    sink: (batch) =>
      new Promise<void>((resolve) => {
        clock.schedule(() => {
          written.push([...batch]);
          resolve();
        }, writeMs);
      }),
    bus: null,
    circuitBreaker: false,
    capacity: 100,
    flushIntervalMs: 0,
    scheduler: clock,
    weigh: (item) => item.bytes,
    ...options,
  });
  /** `stop()`, with virtual time moving until it resolves. */
  const stop = async (): Promise<void> => {
    let done = false;
    const stopping = coordinator.stop().finally(() => (done = true));
    await clock.until(() => done, 100_000, 'the feed done');
    await stopping;
  };
  return { coordinator, clock, written, stop };
}

describe('WriteCoordinator with weigh', () => {
  describe('depth, level and health', () => {
    it('counts depth$, the level and utilization in weight, and queueSize in items', async () => {
      const { coordinator, stop } = weighed({ autoStart: false });
      const depths: number[] = [];
      coordinator.depth$.subscribe((depth) => depths.push(depth));
      await coordinator.submit(payload(1, 30));
      expect(coordinator.level).toBe('ok');
      await coordinator.submit(payload(2, 25));
      expect(depths).toEqual([0, 30, 55]);
      expect(coordinator.level).toBe('soft');
      expect(coordinator.health()).toMatchObject({
        queueSize: 2,
        inFlight: 0,
        queuedWeight: 55,
        inFlightWeight: 0,
        capacity: 100,
        utilization: 0.55,
      });
      await coordinator.submit(payload(3, 30));
      expect(coordinator.level).toBe('hard');
      await stop();
    });

    it('reports the weight of the batches in flight, and frees it when they are written', async () => {
      const { coordinator, clock, stop } = weighed({ batchSize: 2, workers: 1, flushIntervalMs: 1_000 });
      await coordinator.submit(payload(1, 40));
      await coordinator.submit(payload(2, 20));
      await coordinator.submit(payload(3, 5));
      await clock.advance(0);
      expect(coordinator.health()).toMatchObject({
        queueSize: 1,
        inFlight: 2,
        queuedWeight: 5,
        inFlightWeight: 60,
        utilization: 0.65,
      });
      await clock.advance(10);
      expect(coordinator.health()).toMatchObject({ written: 2, queuedWeight: 5, inFlightWeight: 0 });
      await clock.advance(1_000); // the partial batch is due
      expect(coordinator.health()).toMatchObject({ written: 3, queuedWeight: 0, inFlightWeight: 0 });
      await stop();
    });

    it('lets items of weight 0 in whatever the weight held', async () => {
      const { coordinator, stop } = weighed({ autoStart: false, capacity: 10 });
      await coordinator.submit(payload(1, 10));
      expect(coordinator.trySubmit(payload(2, 0))).toBe(true);
      expect(coordinator.health()).toMatchObject({ queueSize: 2, queuedWeight: 10 });
      await stop();
    });
  });

  describe('weights that are not integers >= 0, and weigh functions that throw', () => {
    it.each([
      [-1, RangeError],
      [1.5, RangeError],
      [Number.NaN, RangeError],
      [Number.POSITIVE_INFINITY, RangeError],
      ['7', TypeError],
    ] as const)('rejects submit for a weight of %p, counting nothing', async (bad, Kind) => {
      const { coordinator, stop } = weighed({ weigh: () => bad as number });
      const error: unknown = await coordinator.submit(payload(1, 1)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Kind);
      expect((error as Error).message).toMatch(/^weigh\(item\) must be an integer/);
      expect(() => coordinator.trySubmit(payload(2, 1))).toThrow(Kind);
      expect(coordinator.health()).toMatchObject({ submitted: 0, rejected: 0, queueSize: 0 });
      await stop();
    });

    it('hands what weigh throws to the caller: submit rejects, trySubmit throws, nothing is counted', async () => {
      const boom = new Error('cannot weigh');
      const { coordinator, stop } = weighed({
        weigh: (item) => {
          if (item.id === 2) throw boom;
          return item.bytes;
        },
      });
      await coordinator.submit(payload(1, 10));
      await expect(coordinator.submit(payload(2, 10))).rejects.toBe(boom);
      expect(() => coordinator.trySubmit(payload(2, 10))).toThrow(boom);
      expect(coordinator.health()).toMatchObject({ submitted: 1, rejected: 0 });
      expectBalanced(coordinator);
      await stop();
    });

    it('refuses a weigh option that is not a function', () => {
      expect(() => weighed({ weigh: 3 as never })).toThrow(
        'weigh must be a function (item) => number, found number 3',
      );
    });
  });

  describe('items heavier than the capacity', () => {
    it.each(['block', 'reject', 'drop-oldest', 'drop-newest'] as const)(
      "'%s': submit rejects with ItemTooHeavyError, counted as rejected",
      async (overflow) => {
        const { coordinator, stop } = weighed({ overflow, autoStart: false });
        await coordinator.submit(payload(1, 60));
        const error: unknown = await coordinator.submit(payload(2, 101)).catch((e: unknown) => e);
        expect(isItemTooHeavyError(error)).toBe(true);
        expect(isBackpressureError(error)).toBe(true);
        expect(error).toMatchObject({ name: 'ItemTooHeavyError', weight: 101, capacity: 100 });
        expect((error as Error).message).toBe(
          'Item too heavy: expected a weight of at most 100 (the capacity), found 101. Split the item or raise the capacity.',
        );
        expect(coordinator.health()).toMatchObject({
          submitted: 2,
          rejected: 1,
          dropped: 0,
          queuedWeight: 60,
        });
        expectBalanced(coordinator);
        await stop();
      },
    );

    it('trySubmit throws ItemTooHeavyError and counts nothing (the item stays with the caller)', async () => {
      const { coordinator, stop } = weighed({ overflow: 'drop-newest' });
      expect(() => coordinator.trySubmit(payload(1, 500))).toThrow(/found 500/);
      expect(coordinator.health()).toMatchObject({ submitted: 0, rejected: 0, dropped: 0 });
      await stop();
    });

    it('submitMany stops at the heavy item and says how many were accepted before it', async () => {
      const { coordinator, stop } = weighed({ autoStart: false });
      const error: unknown = await coordinator
        .submitMany([payload(1, 10), payload(2, 10), payload(3, 200), payload(4, 10)])
        .catch((e: unknown) => e);
      expect(isItemTooHeavyError(error)).toBe(true);
      expect((error as { accepted?: number }).accepted).toBe(2);
      expect(coordinator.health()).toMatchObject({ submitted: 3, rejected: 1, queueSize: 2 });
      await stop();
    });

    it('ready rejects with ItemTooHeavyError for a weight above the capacity', async () => {
      const { coordinator, stop } = weighed({ autoStart: false });
      await coordinator.submit(payload(1, 100));
      await expect(coordinator.ready({ weight: 101 })).rejects.toMatchObject({ weight: 101, capacity: 100 });
      expect(() => coordinator.ready({ weight: -1 })).toThrow('weight must be an integer >= 0, found -1');
      await stop();
    });
  });

  describe("'block': waits until the weight fits, first come first served", () => {
    it('does not let light submits overtake a heavy one at the head of the line', async () => {
      const { coordinator, clock, written, stop } = weighed({ capacity: 10, workers: 1, batchSize: 1 });
      const accepted: number[] = [];
      await coordinator.submit(payload(1, 6));
      await coordinator.submit(payload(2, 2));
      const heavy = coordinator.submit(payload(3, 7)).then(() => accepted.push(3));
      const light = coordinator.submit(payload(4, 1)).then(() => accepted.push(4));
      // Room for 2 is free, but nobody overtakes the line.
      expect(coordinator.trySubmit(payload(5, 1))).toBe(false);
      await clock.advance(10); // item 1 written: 2 held, the heavy 7 fits (9), then the light 1 (10)
      await Promise.all([heavy, light]);
      expect(accepted).toEqual([3, 4]);
      expect(coordinator.health()).toMatchObject({ submitted: 4, queuedWeight: 8, inFlightWeight: 2 });
      await clock.until(() => coordinator.health().written === 4);
      expect(written.flat().map((p) => p.id)).toEqual([1, 2, 3, 4]);
      expectBalanced(coordinator);
      await stop();
    });

    it('ready({ weight }) resolves once that much room is free', async () => {
      const { coordinator, clock, stop } = weighed({ capacity: 10, workers: 1, batchSize: 1 });
      await coordinator.submit(payload(1, 6));
      await coordinator.submit(payload(2, 3));
      let ready = false;
      const waiting = coordinator.ready({ weight: 5 }).then(() => (ready = true));
      await clock.advance(5);
      expect(ready).toBe(false);
      await clock.advance(5); // item 1 written: 3 held
      await waiting;
      expect(coordinator.trySubmit(payload(3, 5))).toBe(true);
      await stop();
    });

    it('writes a partial batch at once when an item does not fit, rather than at the flush interval', async () => {
      const { coordinator, clock, written, stop } = weighed({
        capacity: 10,
        workers: 1,
        batchSize: 100,
        flushIntervalMs: 1_000,
      });
      await coordinator.submit(payload(1, 6));
      const blocked = coordinator.submit(payload(2, 5));
      await clock.advance(10);
      expect(written).toEqual([[payload(1, 6)]]);
      await blocked;
      expect(coordinator.health()).toMatchObject({ queuedWeight: 5 });
      await stop();
    });
  });

  describe('drop strategies drop by weight', () => {
    it("'drop-oldest' evicts as many old items as the new one needs and reports each", async () => {
      const { coordinator, stop } = weighed({ overflow: 'drop-oldest', capacity: 10, autoStart: false });
      const dropped: number[] = [];
      coordinator.dropped$.subscribe(({ item }) => dropped.push(item.id));
      for (const [id, bytes] of [
        [1, 3],
        [2, 3],
        [3, 3],
      ] as const)
        await coordinator.submit(payload(id, bytes));
      await coordinator.submit(payload(4, 7));
      expect(dropped).toEqual([1, 2]);
      expect(coordinator.health()).toMatchObject({
        submitted: 4,
        dropped: 2,
        queueSize: 2,
        queuedWeight: 10,
      });
      expectBalanced(coordinator);
      await stop();
    });

    it("'drop-newest' drops the item that does not fit by weight", async () => {
      const { coordinator, stop } = weighed({ overflow: 'drop-newest', capacity: 10, autoStart: false });
      const dropped: number[] = [];
      coordinator.dropped$.subscribe(({ item }) => dropped.push(item.id));
      await coordinator.submit(payload(1, 8));
      await coordinator.submit(payload(2, 3));
      expect(coordinator.trySubmit(payload(3, 2))).toBe(true);
      expect(dropped).toEqual([2]);
      expect(coordinator.health()).toMatchObject({ submitted: 3, dropped: 1, queuedWeight: 10 });
      await stop();
    });
  });

  describe('accounting (property)', () => {
    it('never holds more weight than the capacity, and every item ends written, dropped or refused', async () => {
      const scenario = fc.record({
        capacity: fc.integer({ min: 1, max: 60 }),
        workers: fc.integer({ min: 1, max: 3 }),
        batchSize: fc.integer({ min: 1, max: 8 }),
        flushIntervalMs: fc.integer({ min: 0, max: 15 }),
        writeMs: fc.integer({ min: 0, max: 12 }),
        overflow: fc.constantFrom<OverflowStrategy>('block', 'reject', 'drop-oldest', 'drop-newest'),
        // Sizes up to 80: some items are heavier than the capacity.
        sizes: fc.array(fc.integer({ min: 0, max: 80 }), { minLength: 1, maxLength: 60 }),
        burst: fc.integer({ min: 1, max: 10 }),
        useTrySubmit: fc.boolean(),
      });
      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          const { coordinator, clock, written, stop } = weighed(
            {
              capacity: s.capacity,
              workers: Math.min(s.workers, s.capacity),
              batchSize: s.batchSize,
              flushIntervalMs: s.flushIntervalMs,
              overflow: s.overflow,
            },
            s.writeMs,
          );
          let maxDepth = 0;
          coordinator.depth$.subscribe((depth) => (maxDepth = Math.max(maxDepth, depth)));
          const dropped = new Set<number>();
          coordinator.dropped$.subscribe(({ item }) => dropped.add(item.id));
          const refused = new Set<number>();
          const pending: Promise<unknown>[] = [];
          for (let i = 0; i < s.sizes.length; i++) {
            const item = payload(i, s.sizes[i]!);
            let accepted = false;
            if (s.useTrySubmit) {
              try {
                accepted = coordinator.trySubmit(item);
              } catch {
                accepted = false; // too heavy: submit below rejects and counts it
              }
            }
            if (!accepted) pending.push(coordinator.submit(item).catch(() => refused.add(item.id)));
            const h = coordinator.health();
            expect(h.queuedWeight + h.inFlightWeight).toBeLessThanOrEqual(s.capacity);
            if ((i + 1) % s.burst === 0) await clock.advance(1);
          }
          await clock.until(
            () => coordinator.health().queueSize + coordinator.health().inFlight === 0,
            100_000,
            'nothing held',
          );
          await Promise.all(pending);
          const h = coordinator.health();
          expect(maxDepth).toBeLessThanOrEqual(s.capacity);
          const writtenIds = written.flat().map((p) => p.id);
          expect(new Set(writtenIds).size).toBe(writtenIds.length);
          expect(h.submitted).toBe(s.sizes.length);
          expect(h.written).toBe(writtenIds.length);
          expect(h.dropped).toBe(dropped.size);
          expect(h.rejected).toBe(refused.size);
          expect(h.deadLettered).toBe(0);
          expect(h.written + h.dropped + h.rejected).toBe(s.sizes.length);
          // Every item heavier than the capacity was refused; under 'block' nothing else was.
          for (let i = 0; i < s.sizes.length; i++) {
            if (s.sizes[i]! > s.capacity) expect(refused.has(i)).toBe(true);
          }
          if (s.overflow === 'block') expect(refused.size).toBe(s.sizes.filter((w) => w > s.capacity).length);
          await stop();
        }),
        { numRuns: 60 },
      );
    });
  });
});
