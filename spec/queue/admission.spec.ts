import { Admission, type AdmissionTarget } from '../../lib/queue/admission.js';
import type { OverflowStrategy } from '../../lib/queue/bounded-queue.js';
import { isQueueFullError } from '../../lib/errors/queue-full-error.js';
import { isQueueTimeoutError } from '../../lib/errors/queue-timeout-error.js';
import { isItemTooHeavyError } from '../../lib/errors/item-too-heavy-error.js';
import { VirtualClock } from '../support/virtual-clock.js';

function setup(capacity: number, overflow: OverflowStrategy) {
  const items: number[] = [];
  const log: string[] = [];
  const target: AdmissionTarget<number> = {
    held: () => items.length,
    store: (item) => {
      items.push(item);
      log.push(`store ${item}`);
    },
    evictable: () => items.length,
    evictOldest: () => items.shift()!,
    dropped: (item, newcomer) => log.push(`dropped ${item}${newcomer ? ' (newcomer)' : ''}`),
    refused: () => log.push('refused'),
  };
  const clock = new VirtualClock();
  const admission = new Admission<number>(capacity, overflow, clock, target);
  return { admission, items, log, clock };
}

/** A target whose items weigh their own value (an item `5` weighs 5); `inFlight` cannot be evicted. */
function weighedSetup(capacity: number, overflow: OverflowStrategy, inFlight = 0) {
  const items: number[] = [];
  const log: string[] = [];
  let fullCalls = 0;
  const sum = () => items.reduce((total, item) => total + item, 0);
  const target: AdmissionTarget<number> = {
    held: () => sum() + inFlight,
    store: (item, weight) => {
      expect(weight).toBe(item);
      items.push(item);
      log.push(`store ${item}`);
    },
    evictable: sum,
    evictOldest: () => items.shift()!,
    dropped: (item, newcomer) => log.push(`dropped ${item}${newcomer ? ' (newcomer)' : ''}`),
    refused: () => log.push('refused'),
    full: () => fullCalls++,
    weigh: (item) => item,
  };
  const clock = new VirtualClock();
  const admission = new Admission<number>(capacity, overflow, clock, target);
  return { admission, items, log, clock, fullCalls: () => fullCalls };
}

describe('Admission', () => {
  it('admits while there is room and says no once full', () => {
    const { admission, items } = setup(2, 'block');
    expect(admission.tryAdmit(1, 1)).toBe(true);
    expect(admission.tryAdmit(2, 1)).toBe(true);
    expect(admission.tryAdmit(3, 1)).toBe(false);
    expect(items).toEqual([1, 2]);
  });

  it("'reject' refuses a full target with QueueFullError naming capacity and size", async () => {
    const { admission, log } = setup(1, 'reject');
    await admission.offer(1, 1);
    const error: unknown = await admission.offer(2, 1).catch((e: unknown) => e);
    expect(isQueueFullError(error)).toBe(true);
    expect(error).toMatchObject({ capacity: 1, size: 1 });
    expect(log).toEqual(['store 1', 'refused']);
  });

  it("'drop-newest' reports the newcomer and keeps what is held", async () => {
    const { admission, items, log } = setup(1, 'drop-newest');
    await admission.offer(1, 1);
    await admission.offer(2, 1);
    expect(items).toEqual([1]);
    expect(log).toEqual(['store 1', 'dropped 2 (newcomer)']);
  });

  it("'drop-oldest' evicts the oldest evictable item, stores the new one, then reports the eviction", () => {
    const { admission, items, log } = setup(2, 'drop-oldest');
    admission.tryAdmit(1, 1);
    admission.tryAdmit(2, 1);
    expect(admission.tryAdmit(3, 1)).toBe(true);
    expect(items).toEqual([2, 3]);
    expect(log).toEqual(['store 1', 'store 2', 'store 3', 'dropped 1']);
  });

  it("'block' admits waiting offers first come first served when room is freed", async () => {
    const { admission, items } = setup(1, 'block');
    admission.tryAdmit(1, 1);
    const order: number[] = [];
    const a = admission.offer(2, 1).then(() => order.push(2));
    const b = admission.offer(3, 1).then(() => order.push(3));
    expect(admission.waiting).toBe(2);
    // A newcomer may not overtake the line even when room appears.
    items.length = 0;
    expect(admission.tryAdmit(9, 1)).toBe(false);
    admission.admitWaiting();
    expect(items).toEqual([2]);
    items.length = 0;
    admission.admitWaiting();
    await Promise.all([a, b]);
    expect(order).toEqual([2, 3]);
    expect(items).toEqual([3]);
  });

  it('withdraws a wait on timeout, on virtual time, and counts it as refused', async () => {
    const { admission, log, clock } = setup(1, 'block');
    admission.tryAdmit(1, 1);
    const waiting = admission.offer(2, 1, undefined, 100).catch((e: unknown) => e);
    await clock.advance(99);
    expect(admission.waiting).toBe(1);
    await clock.advance(1);
    expect(isQueueTimeoutError(await waiting)).toBe(true);
    expect(admission.waiting).toBe(0);
    expect(log).toEqual(['store 1', 'refused']);
  });

  it('rejects with the signal reason on abort, before and during the wait', async () => {
    const { admission } = setup(1, 'block');
    admission.tryAdmit(1, 1);
    const before = new AbortController();
    before.abort('gone');
    await expect(admission.offer(2, 1, before.signal)).rejects.toBe('gone');
    const during = new AbortController();
    const waiting = admission.offer(3, 1, during.signal);
    during.abort('later');
    await expect(waiting).rejects.toBe('later');
  });

  it('refuses every waiting offer with the error it is given', async () => {
    const { admission, log } = setup(1, 'block');
    admission.tryAdmit(1, 1);
    const waits = [admission.offer(2, 1), admission.offer(3, 1)].map((p) => p.catch((e: unknown) => e));
    admission.refuseWaiting(() => 'closed');
    expect(await Promise.all(waits)).toEqual(['closed', 'closed']);
    expect(log.filter((l) => l === 'refused')).toHaveLength(2);
  });

  describe('with weights', () => {
    it('admits an item only while its own weight fits', () => {
      const { admission, items } = weighedSetup(10, 'block');
      expect(admission.tryAdmit(6, 6)).toBe(true);
      expect(admission.tryAdmit(5, 5)).toBe(false);
      expect(admission.tryAdmit(4, 4)).toBe(true);
      expect(admission.tryAdmit(0, 0)).toBe(true);
      expect(items).toEqual([6, 4, 0]);
    });

    it('checks what weigh returns: an integer >= 0, or a TypeError / RangeError naming what it found', () => {
      const { admission } = weighedSetup(10, 'block');
      const weigh = admission as unknown as Admission<unknown>;
      for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => weigh.weightOf(bad)).toThrow(RangeError);
      }
      expect(() => weigh.weightOf('3')).toThrow(TypeError);
      expect(() => weigh.weightOf('3')).toThrow('weigh(item) must be an integer, found string "3"');
      expect(() => weigh.weightOf(-1)).toThrow('weigh(item) must be an integer >= 0, found -1');
      expect(admission.weightOf(7)).toBe(7);
    });

    it.each(['block', 'reject', 'drop-oldest', 'drop-newest'] as const)(
      "'%s' refuses an item heavier than the capacity with ItemTooHeavyError and counts it as refused",
      async (overflow) => {
        const { admission, items, log } = weighedSetup(10, overflow);
        admission.tryAdmit(2, 2);
        const error: unknown = await admission.offer(11, 11).catch((e: unknown) => e);
        expect(isItemTooHeavyError(error)).toBe(true);
        expect(error).toMatchObject({ weight: 11, capacity: 10 });
        expect((error as Error).message).toContain('at most 10');
        expect((error as Error).message).toContain('found 11');
        expect(items).toEqual([2]);
        expect(log).toEqual(['store 2', 'refused']);
        expect(admission.waiting).toBe(0);
      },
    );

    it('claim throws ItemTooHeavyError for an item heavier than the capacity, counting nothing', () => {
      const { admission, log } = weighedSetup(10, 'block');
      expect(() => admission.claim(11, 11)).toThrow(
        /expected a weight of at most 10 \(the capacity\), found 11/,
      );
      expect(admission.claim(10, 10)).toBe(true);
      expect(log).toEqual(['store 10']);
    });

    it("'reject' names the weight that did not fit", async () => {
      const { admission } = weighedSetup(10, 'reject');
      admission.tryAdmit(7, 7);
      const error: unknown = await admission.offer(4, 4).catch((e: unknown) => e);
      expect(isQueueFullError(error)).toBe(true);
      expect(error).toMatchObject({ capacity: 10, size: 7, weight: 4 });
      expect((error as Error).message).toBe(
        'Queue is full: expected room for an item of weight 4 (at most 6 held of capacity 10), found 7 held.',
      );
    });

    it("'block' lets a heavy offer at the head of the line go first: light ones behind it wait", async () => {
      const { admission, items, fullCalls } = weighedSetup(10, 'block');
      admission.tryAdmit(8, 8);
      const order: number[] = [];
      const heavy = admission.offer(5, 5).then(() => order.push(5));
      const light = admission.offer(1, 1).then(() => order.push(1));
      expect(admission.waiting).toBe(2);
      // 6 held: the light offer would fit, the heavy one at the head does not, so nobody goes.
      items[0] = 6;
      admission.admitWaiting();
      expect(admission.waiting).toBe(2);
      expect(fullCalls()).toBeGreaterThan(0);
      // 4 held: the heavy one fits (9), then the light one (10).
      items[0] = 4;
      admission.admitWaiting();
      await Promise.all([heavy, light]);
      expect(order).toEqual([5, 1]);
      expect(items).toEqual([4, 5, 1]);
    });

    it('ready waits until the weight asked for fits, and holds that room for claim', async () => {
      const { admission, items } = weighedSetup(10, 'block');
      admission.tryAdmit(8, 8);
      expect(admission.ready(undefined, undefined, 2)).toBe(admission.ready(undefined, undefined, 1));
      let resolved = false;
      const ready = admission.ready(undefined, undefined, 5).then(() => (resolved = true));
      const blocked = admission.offer(3, 3);
      items[0] = 5;
      admission.admitWaiting();
      await ready;
      expect(resolved).toBe(true);
      // The room of the resolved ready (5) is held: the blocked 3 behind it does not take it.
      expect(items).toEqual([5]);
      expect(admission.claim(5, 5)).toBe(true);
      expect(items).toEqual([5, 5]);
      items.splice(0, 2);
      admission.admitWaiting();
      await blocked;
      expect(items).toEqual([3]);
      await expect(admission.ready(undefined, undefined, 11)).rejects.toMatchObject({ weight: 11 });
    });

    it("'drop-oldest' evicts as many old items as the new one needs, then reports each", () => {
      const { admission, items, log } = weighedSetup(10, 'drop-oldest');
      for (const item of [3, 3, 3]) admission.tryAdmit(item, item);
      expect(admission.tryAdmit(7, 7)).toBe(true);
      expect(items).toEqual([3, 7]);
      expect(log).toEqual(['store 3', 'store 3', 'store 3', 'store 7', 'dropped 3', 'dropped 3']);
    });

    it("'drop-oldest' drops the newcomer, evicting nothing, when evicting cannot make room", async () => {
      const { admission, items, log } = weighedSetup(10, 'drop-oldest', 6);
      admission.tryAdmit(3, 3);
      expect(admission.tryAdmit(5, 5)).toBe(false);
      await admission.offer(5, 5);
      expect(items).toEqual([3]);
      expect(log).toEqual(['store 3', 'dropped 5 (newcomer)']);
    });
  });
});
