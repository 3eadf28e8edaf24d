import { TestScheduler } from 'rxjs/testing';
import { BoundedQueue, type Dropped } from '../../lib/queue/bounded-queue.js';
import { isQueueFullError, QueueFullError } from '../../lib/errors/queue-full-error.js';
import { isQueueClosedError } from '../../lib/errors/queue-closed-error.js';
import { isQueueTimeoutError } from '../../lib/errors/queue-timeout-error.js';
import { isBackpressureError } from '../../lib/errors/backpressure-error.js';
import { isItemTooHeavyError } from '../../lib/errors/item-too-heavy-error.js';

/** Settles pending promise callbacks. */
const flush = () => new Promise((resolve) => setImmediate(resolve));

function filled(overflow: 'block' | 'reject' | 'drop-oldest' | 'drop-newest', capacity = 5) {
  const queue = new BoundedQueue<number>({ capacity, overflow });
  for (let i = 0; i < capacity; i++) expect(queue.tryOffer(i)).toBe(true);
  return queue;
}

describe('BoundedQueue', () => {
  it('is FIFO and polls up to max items without waiting', async () => {
    const queue = new BoundedQueue<string>({ capacity: 10 });
    await queue.offer('a');
    await queue.offer('b');
    await queue.offer('c');
    expect(queue.size).toBe(3);
    expect(queue.poll(2)).toEqual(['a', 'b']);
    expect(queue.poll(5)).toEqual(['c']);
    expect(queue.poll(5)).toEqual([]);
  });

  it('emits the current size on subscribe, then every change', async () => {
    const queue = new BoundedQueue<number>({ capacity: 10 });
    queue.tryOffer(1);
    const depths: number[] = [];
    queue.depth$.subscribe((d) => depths.push(d));
    await queue.offer(2);
    queue.poll(10);
    expect(depths).toEqual([1, 2, 0]);
  });

  it('defaults to block and exposes its options', () => {
    const queue = new BoundedQueue<number>({ capacity: 3 });
    expect(queue.overflow).toBe('block');
    expect(queue.capacity).toBe(3);
    expect(queue.closed).toBe(false);
  });

  describe("overflow 'drop-oldest'", () => {
    it('evicts the oldest to dropped$ and keeps the newest (capacity 5: 0..4 then 99 drains 1,2,3,4,99)', async () => {
      const queue = filled('drop-oldest');
      const dropped: Dropped<number>[] = [];
      queue.dropped$.subscribe((d) => dropped.push(d));
      await queue.offer(99);
      expect(dropped).toEqual([{ item: 0, reason: 'overflow' }]);
      expect(queue.poll(10)).toEqual([1, 2, 3, 4, 99]);
    });

    it('does the same through tryOffer, which then reports true', () => {
      const queue = filled('drop-oldest');
      const dropped: number[] = [];
      queue.dropped$.subscribe((d) => dropped.push(d.item));
      expect(queue.tryOffer(99)).toBe(true);
      expect(dropped).toEqual([0]);
    });
  });

  describe("overflow 'drop-newest'", () => {
    it('sends the new item to dropped$ and keeps the queue as it was', async () => {
      const queue = filled('drop-newest');
      const dropped: Dropped<number>[] = [];
      queue.dropped$.subscribe((d) => dropped.push(d));
      await queue.offer(99);
      expect(dropped).toEqual([{ item: 99, reason: 'overflow' }]);
      expect(queue.poll(10)).toEqual([0, 1, 2, 3, 4]);
    });

    it('leaves the item with the caller on tryOffer, reporting nothing', () => {
      const queue = filled('drop-newest');
      const dropped: number[] = [];
      queue.dropped$.subscribe((d) => dropped.push(d.item));
      expect(queue.tryOffer(99)).toBe(false);
      expect(dropped).toEqual([]);
    });
  });

  describe("overflow 'reject'", () => {
    it('rejects the 6th offer of a capacity-5 queue with QueueFullError', async () => {
      const queue = filled('reject');
      const error: unknown = await queue.offer(5).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(QueueFullError);
      expect(isQueueFullError(error)).toBe(true);
      expect(isBackpressureError(error)).toBe(true);
      expect(error).toMatchObject({ capacity: 5, size: 5, name: 'QueueFullError' });
      expect((error as Error).message).toBe(
        'Queue is full: expected fewer than 5 items to accept a new one, found 5.',
      );
      expect(queue.poll(10)).toEqual([0, 1, 2, 3, 4]);
    });

    it('returns false from tryOffer when full', () => {
      expect(filled('reject').tryOffer(5)).toBe(false);
    });
  });

  describe("overflow 'block'", () => {
    it('makes offers wait for room and admits them first come, first served', async () => {
      const queue = filled('block', 2);
      const order: string[] = [];
      const a = queue.offer(10).then(() => order.push('a'));
      const b = queue.offer(11).then(() => order.push('b'));
      const c = queue.offer(12).then(() => order.push('c'));
      expect(queue.waitingOffers).toBe(3);
      await flush();
      expect(order).toEqual([]);
      // a newcomer may not overtake the waiting offers
      expect(queue.tryOffer(99)).toBe(false);

      expect(queue.poll(1)).toEqual([0]);
      await flush();
      expect(order).toEqual(['a']);
      expect(queue.poll(2)).toEqual([1, 10]);
      await Promise.all([a, b, c]);
      expect(order).toEqual(['a', 'b', 'c']);
      expect(queue.poll(10)).toEqual([11, 12]);
      expect(queue.waitingOffers).toBe(0);
    });

    it('reports a single depth change when a poll admits waiting offers', () => {
      const queue = filled('block', 2);
      void queue.offer(10);
      const depths: number[] = [];
      queue.depth$.subscribe((d) => depths.push(d));
      queue.poll(1);
      expect(depths).toEqual([2, 2]);
    });

    it('withdraws an offer whose signal aborts, rejecting with the reason, and skips it', async () => {
      const queue = filled('block', 1);
      const controller = new AbortController();
      const aborted = queue.offer(1, { signal: controller.signal });
      const next = queue.offer(2);
      controller.abort(new Error('caller gave up'));
      await expect(aborted).rejects.toThrow('caller gave up');
      expect(queue.waitingOffers).toBe(1);
      queue.poll(1);
      await next;
      expect(queue.poll(10)).toEqual([2]);
    });

    it('rejects at once when the signal is already aborted', async () => {
      const queue = filled('block', 1);
      const controller = new AbortController();
      controller.abort(new Error('already'));
      await expect(queue.offer(1, { signal: controller.signal })).rejects.toThrow('already');
      expect(queue.waitingOffers).toBe(0);
    });

    it('does not use the signal when there is room', async () => {
      const queue = new BoundedQueue<number>({ capacity: 1 });
      const controller = new AbortController();
      controller.abort();
      await expect(queue.offer(1, { signal: controller.signal })).resolves.toBeUndefined();
    });

    it('times out with QueueTimeoutError on the scheduler it was given', async () => {
      const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
      let error: unknown;
      let waitingJustBefore = -1;
      let queue!: BoundedQueue<number>;
      scheduler.run(({ flush: run }) => {
        queue = new BoundedQueue<number>({ capacity: 1, scheduler });
        queue.tryOffer(0);
        queue.offer(1, { timeoutMs: 100 }).catch((e: unknown) => (error = e));
        scheduler.schedule(() => (waitingJustBefore = queue.waitingOffers), 99);
        run();
      });
      await flush();
      expect(waitingJustBefore).toBe(1);
      expect(queue.waitingOffers).toBe(0);
      expect(isQueueTimeoutError(error)).toBe(true);
      expect(error).toMatchObject({ timeoutMs: 100 });
      expect((error as Error).message).toBe(
        'Timed out waiting for room in the queue: expected room within 100 ms, found none.',
      );
    });

    it('times out with real timers too, and a later poll does not admit the withdrawn item', async () => {
      const queue = filled('block', 1);
      const error: unknown = await queue.offer(1, { timeoutMs: 20 }).catch((e: unknown) => e);
      expect(isQueueTimeoutError(error)).toBe(true);
      expect(queue.poll(5)).toEqual([0]);
      expect(queue.size).toBe(0);
    });

    it('cancels the timeout once admitted', async () => {
      const queue = filled('block', 1);
      const offer = queue.offer(1, { timeoutMs: 30 });
      queue.poll(1);
      await expect(offer).resolves.toBeUndefined();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(queue.poll(5)).toEqual([1]);
    });

    it('stays bounded when many waiting offers time out on a full queue', async () => {
      const queue = filled('block', 1);
      const offers = Array.from({ length: 500 }, (_, i) =>
        queue.offer(i, { timeoutMs: 1 }).catch(() => 'timed out'),
      );
      expect(await Promise.all(offers)).toEqual(Array(500).fill('timed out'));
      expect(queue.waitingOffers).toBe(0);
      // withdrawn waiters are compacted away, not kept until the next poll
      const line = (queue as unknown as { admission: { waiters: { waiters: { length: number } } } }).admission
        .waiters;
      expect(line.waiters.length).toBeLessThanOrEqual(64);
    });
  });

  describe('close', () => {
    it('rejects new offers and waiting ones with QueueClosedError, keeping queued items for poll', async () => {
      const queue = filled('block', 2);
      const waiting = queue.offer(7);
      queue.close();
      expect(queue.closed).toBe(true);
      await expect(waiting).rejects.toThrow('Queue is closed');
      const late: unknown = await queue.offer(8).catch((e: unknown) => e);
      expect(isQueueClosedError(late)).toBe(true);
      expect(queue.tryOffer(9)).toBe(false);
      expect(queue.poll(10)).toEqual([0, 1]);
    });

    it('completes depth$ and dropped$ once closed and empty', () => {
      const queue = filled('drop-oldest', 2);
      const done: string[] = [];
      queue.depth$.subscribe({ complete: () => done.push('depth') });
      queue.dropped$.subscribe({ complete: () => done.push('dropped') });
      queue.close();
      expect(done).toEqual([]);
      queue.poll(1);
      expect(done).toEqual([]);
      queue.poll(1);
      expect(done).toEqual(['depth', 'dropped']);
    });

    it('is idempotent', () => {
      const queue = new BoundedQueue<number>({ capacity: 1 });
      queue.close();
      expect(() => queue.close()).not.toThrow();
    });
  });

  describe('validation', () => {
    it.each([
      [{ capacity: 0 }, RangeError, 'capacity must be an integer >= 1, found 0'],
      [{ capacity: 1.5 }, RangeError, 'capacity must be an integer >= 1, found 1.5'],
      [{ capacity: '5' }, TypeError, 'capacity must be an integer, found string "5"'],
      [
        { capacity: 5, overflow: 'wait' },
        RangeError,
        "overflow must be one of 'block', 'reject', 'drop-oldest', 'drop-newest', found string \"wait\"",
      ],
    ])('rejects %p', (options, type, message) => {
      expect(() => new BoundedQueue(options as never)).toThrow(type);
      expect(() => new BoundedQueue(options as never)).toThrow(message);
    });

    it('rejects missing options', () => {
      expect(() => new BoundedQueue(undefined as never)).toThrow(TypeError);
    });

    it('rejects a bad poll size and a bad timeout', async () => {
      const queue = filled('block', 1);
      expect(() => queue.poll(0)).toThrow('max must be an integer >= 1, found 0');
      await expect(queue.offer(1, { timeoutMs: -1 })).rejects.toThrow(
        'timeoutMs must be a finite number within [0, 2147483647], found -1',
      );
      // Above setTimeout's limit a timer would fire after 1 ms: refuse rather than time out at once.
      await expect(queue.offer(1, { timeoutMs: 2 ** 31 })).rejects.toThrow(RangeError);
    });
  });

  describe('weigh', () => {
    const byLength = (overflow: 'block' | 'reject' | 'drop-oldest' | 'drop-newest' = 'block') =>
      new BoundedQueue<string>({ capacity: 10, overflow, weigh: (s) => s.length });

    it('counts capacity and depth$ in weight, and size in items', async () => {
      const queue = byLength();
      const depths: number[] = [];
      queue.depth$.subscribe((d) => depths.push(d));
      await queue.offer('aaaa');
      expect(queue.tryOffer('bbbbb')).toBe(true);
      expect(queue.tryOffer('cc')).toBe(false);
      expect(queue.size).toBe(2);
      expect(queue.weight).toBe(9);
      expect(queue.poll(1)).toEqual(['aaaa']);
      expect(depths).toEqual([0, 4, 9, 5]);
    });

    it('admits a waiting offer once its weight fits, first come first served', async () => {
      const queue = byLength();
      await queue.offer('aaaaaaaa');
      const order: string[] = [];
      const heavy = queue.offer('bbbbbb').then(() => order.push('heavy'));
      const light = queue.offer('c').then(() => order.push('light'));
      expect(queue.waitingOffers).toBe(2);
      queue.poll(1);
      await Promise.all([heavy, light]);
      expect(order).toEqual(['heavy', 'light']);
      expect(queue.weight).toBe(7);
    });

    it('refuses an item heavier than the capacity: offer rejects, tryOffer throws', async () => {
      const queue = byLength('drop-newest');
      const error: unknown = await queue.offer('x'.repeat(11)).catch((e: unknown) => e);
      expect(isItemTooHeavyError(error)).toBe(true);
      expect(error).toMatchObject({ weight: 11, capacity: 10 });
      expect(() => queue.tryOffer('y'.repeat(12))).toThrow(/found 12/);
      expect(queue.size).toBe(0);
    });

    it("'drop-oldest' evicts by weight and reports each evicted item", async () => {
      const queue = byLength('drop-oldest');
      const dropped: string[] = [];
      queue.dropped$.subscribe(({ item }) => dropped.push(item));
      for (const s of ['aaa', 'bbb', 'ccc']) await queue.offer(s);
      await queue.offer('ddddddd');
      expect(dropped).toEqual(['aaa', 'bbb']);
      expect(queue.poll(10)).toEqual(['ccc', 'ddddddd']);
    });

    it("'reject' names the weight that did not fit", async () => {
      const queue = byLength('reject');
      await queue.offer('aaaaaaa');
      await expect(queue.offer('bbbb')).rejects.toMatchObject({ capacity: 10, size: 7, weight: 4 });
    });

    it('rejects offer with what weigh throws or a RangeError for a bad weight; tryOffer throws', async () => {
      const boom = new Error('no weight');
      const throwing = new BoundedQueue<number>({
        capacity: 5,
        weigh: () => {
          throw boom;
        },
      });
      await expect(throwing.offer(1)).rejects.toBe(boom);
      const negative = new BoundedQueue<number>({ capacity: 5, weigh: () => -2 });
      await expect(negative.offer(1)).rejects.toThrow('weigh(item) must be an integer >= 0, found -2');
      expect(() => negative.tryOffer(1)).toThrow(RangeError);
      expect(negative.size).toBe(0);
      expect(() => new BoundedQueue<number>({ capacity: 5, weigh: 'size' as never })).toThrow(TypeError);
    });
  });
});
