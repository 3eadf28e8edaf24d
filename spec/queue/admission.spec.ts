import { Admission, type AdmissionTarget } from '../../lib/queue/admission.js';
import type { OverflowStrategy } from '../../lib/queue/bounded-queue.js';
import { isQueueFullError } from '../../lib/errors/queue-full-error.js';
import { isQueueTimeoutError } from '../../lib/errors/queue-timeout-error.js';
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
    canEvict: () => items.length > 0,
    evictOldest: () => items.shift()!,
    dropped: (item, newcomer) => log.push(`dropped ${item}${newcomer ? ' (newcomer)' : ''}`),
    refused: () => log.push('refused'),
  };
  const clock = new VirtualClock();
  const admission = new Admission<number>(capacity, overflow, clock, target);
  return { admission, items, log, clock };
}

describe('Admission', () => {
  it('admits while there is room and says no once full', () => {
    const { admission, items } = setup(2, 'block');
    expect(admission.tryAdmit(1)).toBe(true);
    expect(admission.tryAdmit(2)).toBe(true);
    expect(admission.tryAdmit(3)).toBe(false);
    expect(items).toEqual([1, 2]);
  });

  it("'reject' refuses a full target with QueueFullError naming capacity and size", async () => {
    const { admission, log } = setup(1, 'reject');
    await admission.offer(1);
    const error: unknown = await admission.offer(2).catch((e: unknown) => e);
    expect(isQueueFullError(error)).toBe(true);
    expect(error).toMatchObject({ capacity: 1, size: 1 });
    expect(log).toEqual(['store 1', 'refused']);
  });

  it("'drop-newest' reports the newcomer and keeps what is held", async () => {
    const { admission, items, log } = setup(1, 'drop-newest');
    await admission.offer(1);
    await admission.offer(2);
    expect(items).toEqual([1]);
    expect(log).toEqual(['store 1', 'dropped 2 (newcomer)']);
  });

  it("'drop-oldest' evicts the oldest evictable item, stores the new one, then reports the eviction", () => {
    const { admission, items, log } = setup(2, 'drop-oldest');
    admission.tryAdmit(1);
    admission.tryAdmit(2);
    expect(admission.tryAdmit(3)).toBe(true);
    expect(items).toEqual([2, 3]);
    expect(log).toEqual(['store 1', 'store 2', 'store 3', 'dropped 1']);
  });

  it("'block' admits waiting offers first come first served when room is freed", async () => {
    const { admission, items } = setup(1, 'block');
    admission.tryAdmit(1);
    const order: number[] = [];
    const a = admission.offer(2).then(() => order.push(2));
    const b = admission.offer(3).then(() => order.push(3));
    expect(admission.waiting).toBe(2);
    // A newcomer may not overtake the line even when room appears.
    items.length = 0;
    expect(admission.tryAdmit(9)).toBe(false);
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
    admission.tryAdmit(1);
    const waiting = admission.offer(2, undefined, 100).catch((e: unknown) => e);
    await clock.advance(99);
    expect(admission.waiting).toBe(1);
    await clock.advance(1);
    expect(isQueueTimeoutError(await waiting)).toBe(true);
    expect(admission.waiting).toBe(0);
    expect(log).toEqual(['store 1', 'refused']);
  });

  it('rejects with the signal reason on abort, before and during the wait', async () => {
    const { admission } = setup(1, 'block');
    admission.tryAdmit(1);
    const before = new AbortController();
    before.abort('gone');
    await expect(admission.offer(2, before.signal)).rejects.toBe('gone');
    const during = new AbortController();
    const waiting = admission.offer(3, during.signal);
    during.abort('later');
    await expect(waiting).rejects.toBe('later');
  });

  it('refuses every waiting offer with the error it is given', async () => {
    const { admission, log } = setup(1, 'block');
    admission.tryAdmit(1);
    const waits = [admission.offer(2), admission.offer(3)].map((p) => p.catch((e: unknown) => e));
    admission.refuseWaiting(() => 'closed');
    expect(await Promise.all(waits)).toEqual(['closed', 'closed']);
    expect(log.filter((l) => l === 'refused')).toHaveLength(2);
  });
});
